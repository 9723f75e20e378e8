package dev.crewship.cli.output;

import java.util.Map;

/**
 * What the CLI knows about where its streams go. bin/crewship tests each stream with {@code [ -t N ]}
 * and passes the answers as system properties, because {@code System.console()} cannot tell a
 * redirected stream from a terminal on every JDK the launcher may pick.
 *
 * @param stdinTty  stdin is a terminal (questions may be asked)
 * @param stdoutTty stdout is a terminal (tables get colours)
 * @param stderrTty stderr is a terminal (progress bars and spinners are drawn)
 * @param colour    colours are allowed at all ({@code NO_COLOR} unset, {@code TERM} not {@code dumb})
 * @param columns   the terminal's width, for progress bars
 */
public record Terminal(boolean stdinTty, boolean stdoutTty, boolean stderrTty, boolean colour, int columns) {
    private static final int DEFAULT_COLUMNS = 80;

    /** A terminal description for tests and pipes: nothing interactive, no colours. */
    public static Terminal plain() {
        return new Terminal(false, false, false, false, DEFAULT_COLUMNS);
    }

    /** Reads the launcher's properties, falling back to {@code System.console()} when run without it. */
    public static Terminal detect(Map<String, String> env) {
        boolean colour = !env.containsKey("NO_COLOR") && !"dumb".equals(env.get("TERM"));
        return new Terminal(
                flag("crewship.tty.stdin"),
                flag("crewship.tty.stdout"),
                flag("crewship.tty.stderr"),
                colour,
                columns(System.getProperty("crewship.columns", env.get("COLUMNS"))));
    }

    /** Colours for what goes to stdout. */
    public Ansi stdoutAnsi() {
        return new Ansi(colour && stdoutTty);
    }

    /** Colours for what goes to stderr. */
    public Ansi stderrAnsi() {
        return new Ansi(colour && stderrTty);
    }

    /** The launcher's answer; without one, whether there is a console at all (asked only then: it costs start-up time). */
    private static boolean flag(String property) {
        String value = System.getProperty(property);
        return value == null ? System.console() != null : Boolean.parseBoolean(value);
    }

    private static int columns(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_COLUMNS;
        }
        try {
            int parsed = Integer.parseInt(value.trim());
            return parsed > 20 ? parsed : DEFAULT_COLUMNS;
        } catch (NumberFormatException e) {
            return DEFAULT_COLUMNS;
        }
    }
}
