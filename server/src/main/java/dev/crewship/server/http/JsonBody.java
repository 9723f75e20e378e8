package dev.crewship.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import io.javalin.http.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads JSON request bodies strictly: {@code Content-Type: application/json}, at most the body
 * limit ({@code --max-body-bytes}), one JSON object whose fields are exactly those of the target
 * record (snake_case). Every violation is a problem answer that names the field, never a Jackson or
 * Java class name: 415 for another content type, 413 for a body over the limit, 400 otherwise.
 */
public final class JsonBody {
    /**
     * How much of an oversized body is still read (and dropped) before answering 413: a client that
     * is still sending then reads the answer instead of a reset connection.
     */
    static final long MAX_DRAIN_BYTES = 64L * 1024 * 1024;

    private final ObjectMapper mapper;
    private final long maxBytes;

    public JsonBody(ObjectMapper mapper, long maxBytes) {
        this.mapper = mapper;
        this.maxBytes = maxBytes;
    }

    /** The body as an instance of {@code type} (a record whose components name the accepted fields). */
    public <T> T read(Context ctx, Class<T> type) {
        ObjectNode object = readObject(ctx);
        try {
            return mapper.treeToValue(object, type);
        } catch (ValueInstantiationException e) {
            if (e.getCause() instanceof CrewshipException problem) {
                throw problem;
            }
            throw CrewshipException.invalid("the request body has invalid values");
        } catch (UnrecognizedPropertyException e) {
            throw CrewshipException.invalid("unknown field \"" + e.getPropertyName() + "\"; allowed fields: " + names(e.getKnownPropertyIds()));
        } catch (MismatchedInputException e) {
            throw CrewshipException.invalid(mismatch(e));
        } catch (JsonProcessingException e) {
            throw CrewshipException.invalid("the request body does not have the expected fields");
        }
    }

    /** The body as a JSON object, checked for content type, size and syntax. */
    public ObjectNode readObject(Context ctx) {
        requireJson(ctx);
        byte[] bytes = readLimited(ctx);
        if (bytes.length == 0) {
            throw CrewshipException.invalid("the request body is empty; send a JSON object");
        }
        JsonNode node;
        try {
            node = mapper.readTree(bytes);
        } catch (StreamReadException e) {
            throw CrewshipException.invalid("the request body is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw CrewshipException.invalid("the request body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw CrewshipException.invalid("the request body must be a JSON object, not " + kind(node));
        }
        return (ObjectNode) node;
    }

    private static void requireJson(Context ctx) {
        String contentType = ctx.contentType();
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].strip();
        if (!mediaType.equalsIgnoreCase("application/json")) {
            throw new CrewshipException(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the body as JSON with Content-Type: application/json"
                    + (contentType == null ? "" : " (not " + contentType + ")"));
        }
    }

    private byte[] readLimited(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        try (InputStream in = ctx.bodyInputStream()) {
            if (declared > maxBytes) {
                drain(in);
                throw tooLarge();
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = in.read(buffer)) != -1) {
                if (out.size() + (long) read > maxBytes) {
                    drain(in);
                    throw tooLarge();
                }
                out.write(buffer, 0, read);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("the request body could not be read", e);
        }
    }

    private static void drain(InputStream in) throws IOException {
        long left = MAX_DRAIN_BYTES;
        byte[] buffer = new byte[64 * 1024];
        int read;
        while (left > 0 && (read = in.read(buffer, 0, (int) Math.min(buffer.length, left))) != -1) {
            left -= read;
        }
    }

    private CrewshipException tooLarge() {
        return CrewshipException.tooLarge("the request body is larger than " + maxBytes + " bytes");
    }

    private static String mismatch(MismatchedInputException e) {
        String field = e.getPath().stream()
                .map(reference -> reference.getFieldName() != null ? reference.getFieldName() : "[" + reference.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        if (field.isEmpty()) {
            return "the request body must be a JSON object";
        }
        String expected = expected(e.getTargetType());
        return "field \"" + field + "\" " + (expected == null ? "has the wrong type" : "must be " + expected);
    }

    /** The JSON kind a Java type is read from, in the API's words. */
    private static String expected(Class<?> type) {
        if (type == null) {
            return null;
        }
        if (type == String.class || type.isEnum()) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (Number.class.isAssignableFrom(type) || (type.isPrimitive() && type != boolean.class)) {
            return "a number";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (Map.class.isAssignableFrom(type) || ObjectNode.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return null;
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "nothing";
        }
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> "something else";
        };
    }

    private static String names(Collection<Object> known) {
        List<String> names = known.stream().map(String::valueOf).sorted().toList();
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
