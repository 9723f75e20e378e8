package dev.crewship.executor.process;

import dev.crewship.deployment.EnvironmentBuilder.BuildFailedException;
import dev.crewship.deployment.EnvironmentBuilder.BuildLog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one command of an environment build: every output line goes to the build log as it comes,
 * the build's deadline bounds it, and a failure becomes a one-line reason taken from the output.
 */
final class BuildStep {
    private static final int MAX_LINE_BYTES = 16 * 1024;
    private static final int MAX_REASON_CHARS = 600;
    private static final Pattern ERROR_LINE = Pattern.compile("^(?:error|ERROR|Error):\\s*(.+)$");
    private static final Pattern CAUSE_LINE = Pattern.compile("^(?:cause:|Caused by:|╰─▶)\\s*(.+)$");

    private BuildStep() {
    }

    static void run(String what, List<String> argv, Map<String, String> env, Path workingDir, BuildLog log, long deadlineNanos,
                    Duration limit) throws BuildFailedException, InterruptedException {
        log.line("$ " + String.join(" ", argv));
        ProcessBuilder builder = new ProcessBuilder(argv).directory(workingDir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
            process.getOutputStream().close();
        } catch (IOException e) {
            throw new BuildFailedException(what + " could not start: " + e.getMessage());
        }
        OutputTail tail = new OutputTail(60, 2_000);
        Thread reader = Thread.ofVirtual().name("build-output-" + process.pid()).start(() -> forward(process, log, tail));
        boolean exited;
        try {
            exited = process.waitFor(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            ProcessTree.kill(process.toHandle(), Duration.ZERO);
            throw e;
        }
        if (!exited) {
            ProcessTree.kill(process.toHandle(), Duration.ZERO);
            reader.join(Duration.ofSeconds(5));
            throw new BuildFailedException(what + " did not finish within the build time limit of " + HumanDuration.format(limit));
        }
        reader.join(Duration.ofSeconds(5));
        if (process.exitValue() != 0) {
            throw new BuildFailedException(what + " failed: " + reason(tail.lines(), process.exitValue()));
        }
    }

    /**
     * The last meaningful error line: uv and pip both end with an {@code error:} line, uv adds the
     * root cause below it; progress, hints and notices are skipped.
     */
    static String reason(List<String> lines, int exitStatus) {
        String error = null;
        String cause = null;
        String last = null;
        for (String raw : lines) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("hint:") || line.startsWith("[notice]")) {
                continue;
            }
            last = line;
            Matcher errorLine = ERROR_LINE.matcher(line);
            Matcher causeLine = CAUSE_LINE.matcher(line);
            if (errorLine.matches()) {
                error = errorLine.group(1);
                cause = null;
            } else if (causeLine.matches() && error != null) {
                cause = causeLine.group(1);
            }
        }
        String reason = error != null ? (cause != null ? error + ": " + cause : error)
                : last != null ? last : "exit status " + exitStatus;
        return reason.length() <= MAX_REASON_CHARS ? reason : reason.substring(0, MAX_REASON_CHARS) + "…";
    }

    private static void forward(Process process, BuildLog log, OutputTail tail) {
        try (InputStream out = process.getInputStream()) {
            BoundedLineReader reader = new BoundedLineReader(out, MAX_LINE_BYTES);
            BoundedLineReader.Line line;
            while ((line = reader.next()) != null) {
                tail.add(line.text());
                log.line(line.text());
            }
        } catch (IOException e) {
            tail.add("(reading the output failed: " + e.getMessage() + ")");
        }
    }
}
