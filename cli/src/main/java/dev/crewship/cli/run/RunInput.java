package dev.crewship.cli.run;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.cli.CliException;
import dev.crewship.cli.api.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The {@code --input} of a run: a JSON object given inline ({@code '{"topic": "AI agents"}'}), from a
 * file ({@code @input.json}) or from stdin ({@code @-}). Checked completely before anything is sent,
 * so a typo never starts a run.
 */
public final class RunInput {
    private RunInput() {
    }

    /** The input as a JSON object; an absent {@code --input} is the empty object. */
    public static ObjectNode parse(String option, Path workingDir, InputStream stdin) {
        if (option == null) {
            return Json.object();
        }
        String source = "--input";
        String text = option;
        if (option.startsWith("@")) {
            String name = option.substring(1);
            source = name.equals("-") ? "the input on stdin" : name;
            text = name.equals("-") ? readStdin(stdin) : readFile(workingDir.resolve(name), name);
        }
        JsonNode node;
        try {
            node = Json.parse(text);
        } catch (JsonProcessingException e) {
            throw new CliException(source + " is not valid JSON: " + describe(e) + "; nothing was sent");
        }
        if (node == null || node.isMissingNode()) {
            throw new CliException(source + " is empty: give a JSON object such as '{\"topic\": \"AI agents\"}'; nothing was sent");
        }
        if (!(node instanceof ObjectNode object)) {
            throw new CliException(source + " must be a JSON object such as '{\"topic\": \"AI agents\"}', not "
                    + article(node.getNodeType().name().toLowerCase()) + "; nothing was sent");
        }
        return object;
    }

    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int cut = message.indexOf('\n');
        if (cut > 0) {
            message = message.substring(0, cut);
        }
        JsonLocation location = e.getLocation();
        return location == null || location.getLineNr() < 0 ? message
                : message + " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    private static String article(String type) {
        return switch (type) {
            case "array" -> "an array";
            default -> "a " + type;
        };
    }

    private static String readFile(Path file, String name) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CliException("--input @" + name + ": no such file; nothing was sent");
        } catch (IOException e) {
            throw new CliException("--input @" + name + ": cannot read it (" + e.getMessage() + "); nothing was sent", e);
        }
    }

    private static String readStdin(InputStream stdin) {
        try {
            return new String(stdin.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CliException("--input @-: cannot read stdin (" + e.getMessage() + "); nothing was sent", e);
        }
    }
}
