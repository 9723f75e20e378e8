package dev.crewship.cli.deploy;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One gitignore-style pattern (the rules of gitignore(5)): {@code #} comments, {@code !} negation,
 * a trailing {@code /} for folders only, a {@code /} at the start or in the middle anchors it to the
 * folder of the file it came from, otherwise it matches a name at any depth; {@code *}, {@code ?},
 * {@code [...]} and {@code **}.
 *
 * @param base the folder (relative to the crew root, "" for the root) the pattern is relative to
 */
record IgnorePattern(String base, Pattern regex, boolean negated, boolean directoryOnly, boolean anchored) {

    /** Parses one line of an ignore file; empty for blank lines and comments. */
    static Optional<IgnorePattern> parse(String line, String base) {
        String text = stripTrailingSpaces(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        if (text.isEmpty() || text.startsWith("#")) {
            return Optional.empty();
        }
        boolean negated = text.startsWith("!");
        if (negated) {
            text = text.substring(1);
        } else if (text.startsWith("\\!") || text.startsWith("\\#")) {
            text = text.substring(1);
        }
        boolean directoryOnly = text.endsWith("/");
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isEmpty()) {
            return Optional.empty();
        }
        boolean anchored = text.contains("/");
        if (text.startsWith("/")) {
            text = text.substring(1);
        }
        return Optional.of(new IgnorePattern(base, Pattern.compile(toRegex(text)), negated, directoryOnly, anchored));
    }

    /** Whether this pattern speaks about {@code path} (relative to the crew root, '/'-separated). */
    boolean matches(String path, boolean directory) {
        if (directoryOnly && !directory) {
            return false;
        }
        String relative;
        if (base.isEmpty()) {
            relative = path;
        } else if (path.startsWith(base + "/")) {
            relative = path.substring(base.length() + 1);
        } else {
            return false;
        }
        String subject = anchored ? relative : relative.substring(relative.lastIndexOf('/') + 1);
        return regex.matcher(subject).matches();
    }

    private static String stripTrailingSpaces(String line) {
        int end = line.length();
        while (end > 0 && line.charAt(end - 1) == ' ' && !(end > 1 && line.charAt(end - 2) == '\\')) {
            end--;
        }
        return line.substring(0, end);
    }

    static String toRegex(String glob) {
        StringBuilder regex = new StringBuilder();
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i);
            if (glob.startsWith("**/", i) && (i == 0 || glob.charAt(i - 1) == '/')) {
                regex.append("(?:.*/)?");
                i += 3;
            } else if (glob.startsWith("**", i) && i + 2 == glob.length() && (i == 0 || glob.charAt(i - 1) == '/')) {
                regex.append(".*");
                i += 2;
            } else if (c == '*') {
                regex.append("[^/]*");
                i++;
            } else if (c == '?') {
                regex.append("[^/]");
                i++;
            } else if (c == '[') {
                int close = classEnd(glob, i);
                if (close < 0) {
                    regex.append("\\[");
                    i++;
                } else {
                    regex.append(characterClass(glob.substring(i + 1, close)));
                    i = close + 1;
                }
            } else if (c == '\\' && i + 1 < glob.length()) {
                regex.append(Pattern.quote(String.valueOf(glob.charAt(i + 1))));
                i += 2;
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
                i++;
            }
        }
        return regex.toString();
    }

    private static int classEnd(String glob, int open) {
        int j = open + 1;
        if (j < glob.length() && (glob.charAt(j) == '!' || glob.charAt(j) == '^')) {
            j++;
        }
        if (j < glob.length() && glob.charAt(j) == ']') {
            j++;
        }
        return glob.indexOf(']', j);
    }

    private static String characterClass(String body) {
        StringBuilder out = new StringBuilder("[");
        int start = 0;
        if (!body.isEmpty() && (body.charAt(0) == '!' || body.charAt(0) == '^')) {
            out.append('^');
            start = 1;
        }
        for (int k = start; k < body.length(); k++) {
            char c = body.charAt(k);
            if (c == '\\' || c == '[' || c == '&' || c == '^' || (c == ']' && k > start)) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append(']').toString();
    }
}
