package dev.crewship.cli.output;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A left-aligned text table: columns two spaces apart, padded by what is visible (colour codes do
 * not count). The last column is not padded, so piped output has no trailing blanks.
 */
public final class Table {
    private static final Pattern ANSI_CODE = Pattern.compile("\u001b\\[[0-9;]*m");
    private static final String GAP = "  ";

    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    private Table(List<String> headers) {
        this.headers = headers;
    }

    public static Table withHeaders(String... headers) {
        return new Table(List.of(headers));
    }

    /** Adds a row; {@code null} cells print as empty, missing trailing cells too. */
    public Table row(String... cells) {
        if (cells.length > headers.size()) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, table has " + headers.size() + " columns");
        }
        List<String> row = new ArrayList<>(Arrays.asList(cells));
        row.replaceAll(cell -> cell == null ? "" : cell);
        while (row.size() < headers.size()) {
            row.add("");
        }
        rows.add(row);
        return this;
    }

    public boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The table as lines, header first (bold when the styling is on). */
    public String render(Ansi ansi) {
        int[] widths = new int[headers.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = visibleLength(headers.get(c));
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], visibleLength(row.get(c)));
            }
        }
        StringBuilder out = new StringBuilder();
        appendLine(out, headers.stream().map(ansi::bold).toList(), widths);
        rows.forEach(row -> appendLine(out, row, widths));
        return out.toString();
    }

    private static void appendLine(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String cell = cells.get(c);
            line.append(cell);
            if (c < cells.size() - 1) {
                line.append(" ".repeat(widths[c] - visibleLength(cell))).append(GAP);
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    static int visibleLength(String text) {
        String visible = ANSI_CODE.matcher(text).replaceAll("");
        return visible.codePointCount(0, visible.length());
    }
}
