package dev.crewship.executor.process;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The last lines of a process's output, bounded in count and width, for failure messages. */
final class OutputTail {
    private final int maxLines;
    private final int maxLineChars;
    private final Deque<String> lines = new ArrayDeque<>();

    OutputTail(int maxLines, int maxLineChars) {
        this.maxLines = maxLines;
        this.maxLineChars = maxLineChars;
    }

    synchronized void add(String line) {
        lines.addLast(line.length() > maxLineChars ? line.substring(0, maxLineChars) + "…" : line);
        if (lines.size() > maxLines) {
            lines.removeFirst();
        }
    }

    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** The non-blank lines joined by " | ", keeping the end when longer than {@code maxChars}. */
    String summary(int maxChars) {
        String joined = String.join(" | ", lines().stream().map(String::strip).filter(l -> !l.isEmpty()).toList());
        return joined.length() <= maxChars ? joined : "…" + joined.substring(joined.length() - maxChars);
    }
}
