package dev.crewship.cli.output;

/** ANSI styling that collapses to plain text when colours are off (pipes, {@code NO_COLOR}). */
public record Ansi(boolean enabled) {
    public String bold(String text) {
        return style("1", text);
    }

    public String dim(String text) {
        return style("2", text);
    }

    public String red(String text) {
        return style("31", text);
    }

    public String green(String text) {
        return style("32", text);
    }

    public String yellow(String text) {
        return style("33", text);
    }

    public String cyan(String text) {
        return style("36", text);
    }

    /** Colours a run or deployment status by what it means: green done, red failed, yellow in progress. */
    public String status(String status) {
        if (status == null) {
            return "";
        }
        return switch (status) {
            case "succeeded", "ready", "idle" -> green(status);
            case "failed" -> red(status);
            case "canceled" -> dim(status);
            default -> yellow(status);
        };
    }

    private String style(String code, String text) {
        return enabled ? "\u001b[" + code + "m" + text + "\u001b[0m" : text;
    }
}
