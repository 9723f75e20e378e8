package dev.crewship.cli.output;

import java.io.PrintStream;

/**
 * An animated one-line status on stderr while the CLI waits (for a run, a build). Draws nothing when
 * stderr is not a terminal. The message may change while it spins.
 */
public final class Spinner implements AutoCloseable {
    private static final String FRAMES = "|/-\\";
    private static final long FRAME_MILLIS = 120;

    private final PrintStream err;
    private final int columns;
    private final Thread thread;
    private final long startedMillis = System.currentTimeMillis();
    private volatile String message;
    private volatile boolean running = true;

    private Spinner(PrintStream err, int columns, String message, boolean enabled) {
        this.err = err;
        this.columns = columns;
        this.message = message;
        this.thread = enabled ? Thread.ofPlatform().daemon().name("spinner").start(this::spin) : null;
    }

    public static Spinner start(PrintStream err, Terminal terminal, String message) {
        return new Spinner(err, terminal.columns(), message, terminal.stderrTty());
    }

    public void message(String message) {
        this.message = message;
    }

    /** Stops and clears the line, so what follows starts on a clean one. */
    @Override
    public void close() {
        running = false;
        if (thread == null) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (err) {
            err.print("\r" + " ".repeat(columns - 1) + "\r");
            err.flush();
        }
    }

    private void spin() {
        int frame = 0;
        while (running) {
            String elapsed = Formats.duration((System.currentTimeMillis() - startedMillis) / 1000 * 1000);
            String line = FRAMES.charAt(frame++ % FRAMES.length()) + " " + message + " (" + elapsed + ")";
            if (line.length() >= columns) {
                line = line.substring(0, columns - 1);
            }
            synchronized (err) {
                err.print("\r" + line + " ".repeat(columns - 1 - line.length()));
                err.flush();
            }
            try {
                Thread.sleep(FRAME_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
