package dev.crewship.cli.run;

import com.fasterxml.jackson.databind.JsonNode;
import dev.crewship.cli.api.Json;
import java.io.PrintStream;

/** How a run's output is printed: text as it is, any other JSON indented. */
public final class RunPrinter {
    private RunPrinter() {
    }

    public static void printOutput(PrintStream out, JsonNode output) {
        if (output == null || output.isNull() || output.isMissingNode()) {
            return;
        }
        out.println(output.isTextual() ? output.asText() : Json.pretty(output));
    }
}
