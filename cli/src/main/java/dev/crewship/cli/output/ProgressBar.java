package dev.crewship.cli.output;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A byte progress bar on stderr for uploads and downloads. Drawn only on a terminal, and only once
 * a transfer has lasted long enough to be worth watching, so quick transfers and pipes stay quiet.
 */
public final class ProgressBar implements AutoCloseable {
    private static final long FIRST_DRAW_AFTER_NANOS = 250_000_000L;
    private static final long REDRAW_EVERY_NANOS = 100_000_000L;

    private final PrintStream err;
    private final String label;
    private final long total;
    private final int columns;
    private final boolean enabled;
    private final long startedNanos = System.nanoTime();
    private final AtomicLong done = new AtomicLong();
    private long lastDrawNanos;
    private boolean drawn;

    private ProgressBar(PrintStream err, String label, long total, int columns, boolean enabled) {
        this.err = err;
        this.label = label;
        this.total = total;
        this.columns = columns;
        this.enabled = enabled;
    }

    /** A bar for {@code total} bytes (-1 when unknown: then only the count is shown). */
    public static ProgressBar start(PrintStream err, Terminal terminal, String label, long total) {
        return new ProgressBar(err, label, total, terminal.columns(), terminal.stderrTty());
    }

    public void advance(long bytes) {
        long now = done.addAndGet(bytes);
        if (!enabled) {
            return;
        }
        long nanos = System.nanoTime();
        synchronized (this) {
            if (nanos - startedNanos < FIRST_DRAW_AFTER_NANOS || nanos - lastDrawNanos < REDRAW_EVERY_NANOS) {
                return;
            }
            lastDrawNanos = nanos;
            draw(now);
        }
    }

    /** Draws the final state and ends the line, if the bar was ever shown. */
    @Override
    public synchronized void close() {
        if (drawn) {
            draw(done.get());
            err.println();
        }
    }

    private void draw(long now) {
        drawn = true;
        err.print("\r" + render(label, now, total, columns));
        err.flush();
    }

    /** One line of the bar, at most {@code columns - 1} wide so the terminal never wraps it. */
    static String render(String label, long done, long total, int columns) {
        if (total <= 0) {
            return fit(label + "  " + Formats.bytes(done), columns);
        }
        long shown = Math.min(done, total);
        String counts = String.format("%3d%%  %s / %s", shown * 100 / total, Formats.bytes(shown), Formats.bytes(total));
        int width = Math.max(10, Math.min(40, columns - label.length() - counts.length() - 6));
        int filled = (int) (width * shown / total);
        String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        return fit(label + " [" + bar + "] " + counts, columns);
    }

    private static String fit(String line, int columns) {
        return line.length() < columns ? line : line.substring(0, columns - 1);
    }
}
