package dev.crewship.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.crewship.common.Page;
import dev.crewship.common.PageRequest;
import dev.crewship.error.CrewshipException;
import io.javalin.http.Context;
import java.util.function.Function;

/**
 * Stripe-style paging on the wire: {@code ?limit=&starting_after=} in, and
 * {@code {"object":"list","data":[…],"has_more":…,"next_cursor":…}} out.
 */
public final class Paging {
    private Paging() {
    }

    /** The page asked for by {@code limit} (1–100, default 20) and {@code starting_after}. */
    public static PageRequest request(Context ctx) {
        String limit = ctx.queryParam("limit");
        String startingAfter = ctx.queryParam("starting_after");
        int size = PageRequest.DEFAULT_LIMIT;
        if (limit != null) {
            try {
                size = Integer.parseInt(limit.strip());
            } catch (NumberFormatException e) {
                throw CrewshipException.invalid("limit must be a whole number between 1 and " + PageRequest.MAX_LIMIT);
            }
        }
        return new PageRequest(size, startingAfter == null || startingAfter.isBlank() ? null : startingAfter);
    }

    /** A page rendered as a list object, each item by {@code render}. */
    public static <T> ObjectNode json(Page<T> page, Function<T, ObjectNode> render) {
        ObjectNode list = JsonNodeFactory.instance.objectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        page.data().forEach(item -> data.add(render.apply(item)));
        return list.put("has_more", page.hasMore()).put("next_cursor", page.nextCursor());
    }

    /** A complete (unpaged) list rendered the same way, with {@code has_more: false}. */
    public static <T> ObjectNode json(Iterable<T> items, Function<T, ObjectNode> render) {
        ObjectNode list = JsonNodeFactory.instance.objectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        items.forEach(item -> data.add(render.apply(item)));
        return list.put("has_more", false);
    }
}
