package dev.crewship.run;

import java.time.Duration;

/**
 * Settings of the {@link RunDispatcher}.
 *
 * @param maxConcurrentRuns runs executing at once on this server; more wait as {@code pending}
 *                          ({@code --max-concurrent-runs})
 * @param pollInterval      how often pending runs are looked for without a signal: the safety net
 *                          for runs created by another server process or left pending by a restart
 * @param cancelWait        how long a cancel request waits for a running run to be gone before it answers
 * @param stopWait          how long stopping the server waits for executing runs to be killed and recorded
 * @param maxValuesBytes    largest thread {@code values} (serialized JSON) a run may save; larger ones
 *                          fail the run and leave the thread in status {@code error}
 */
public record RunDispatcherConfig(int maxConcurrentRuns, Duration pollInterval, Duration cancelWait, Duration stopWait,
                                  long maxValuesBytes) {
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_CANCEL_WAIT = Duration.ofSeconds(15);
    public static final Duration DEFAULT_STOP_WAIT = Duration.ofSeconds(20);
    /** The same as the JSON body limit: values a run saves can be given back in a request. */
    public static final long DEFAULT_MAX_VALUES_BYTES = 1024 * 1024;

    public RunDispatcherConfig {
        if (maxConcurrentRuns < 1) {
            throw new IllegalArgumentException("maxConcurrentRuns must be at least 1");
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive");
        }
        if (maxValuesBytes < 1) {
            throw new IllegalArgumentException("maxValuesBytes must be positive");
        }
    }

    public RunDispatcherConfig(int maxConcurrentRuns, Duration pollInterval, Duration cancelWait, Duration stopWait) {
        this(maxConcurrentRuns, pollInterval, cancelWait, stopWait, DEFAULT_MAX_VALUES_BYTES);
    }

    public RunDispatcherConfig withMaxValuesBytes(long bytes) {
        return new RunDispatcherConfig(maxConcurrentRuns, pollInterval, cancelWait, stopWait, bytes);
    }

    /** The documented default: twice the cores, at least 4. */
    public static int defaultMaxConcurrentRuns() {
        return Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
    }

    public static RunDispatcherConfig withMaxConcurrentRuns(int maxConcurrentRuns) {
        return new RunDispatcherConfig(maxConcurrentRuns, DEFAULT_POLL_INTERVAL, DEFAULT_CANCEL_WAIT, DEFAULT_STOP_WAIT);
    }
}
