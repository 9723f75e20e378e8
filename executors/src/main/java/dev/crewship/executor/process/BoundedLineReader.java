package dev.crewship.executor.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads UTF-8 lines from a stream without trusting the writer: a line longer than the limit is
 * cut at the limit and the rest of it skipped, so one endless line cannot exhaust the server's memory.
 */
final class BoundedLineReader {
    /** A line without its terminator; {@code length} is its full length in bytes, also when cut. */
    record Line(String text, long length, boolean truncated) {
    }

    private final InputStream in;
    private final int maxBytes;
    private final byte[] chunk = new byte[8192];
    private int chunkPos;
    private int chunkEnd;
    private byte[] line = new byte[256];

    BoundedLineReader(InputStream in, int maxBytes) {
        this.in = in;
        this.maxBytes = maxBytes;
    }

    /** The next line, or null at the end of the stream. */
    Line next() throws IOException {
        int kept = 0;
        long length = 0;
        boolean sawAnything = false;
        while (true) {
            if (chunkPos == chunkEnd) {
                chunkEnd = in.read(chunk);
                chunkPos = 0;
                if (chunkEnd <= 0) {
                    chunkEnd = 0;
                    return sawAnything ? toLine(kept, length) : null;
                }
            }
            sawAnything = true;
            byte b = chunk[chunkPos++];
            if (b == '\n') {
                return toLine(kept, length);
            }
            length++;
            if (kept < maxBytes) {
                if (kept == line.length) {
                    line = Arrays.copyOf(line, Math.min(maxBytes, line.length * 2));
                }
                line[kept++] = b;
            }
        }
    }

    /** Whether {@link #next} can return a whole line without reading from the stream. */
    boolean hasBufferedLine() {
        for (int i = chunkPos; i < chunkEnd; i++) {
            if (chunk[i] == '\n') {
                return true;
            }
        }
        return false;
    }

    private Line toLine(int kept, long length) {
        int end = kept;
        if (end > 0 && line[end - 1] == '\r' && length == kept) {
            end--;
        }
        String text = new String(line, 0, end, StandardCharsets.UTF_8);
        if (line.length > 64 * 1024) {
            line = new byte[256]; // do not keep a huge buffer alive for the ordinary short lines that follow
        }
        return new Line(text, length, length > kept);
    }
}
