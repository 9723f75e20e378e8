package dev.crewship.common;

import java.util.List;

/**
 * One page of a list, Stripe style: {@code nextCursor} is the id of the last item when more
 * items follow, and is passed back as {@code starting_after} to get the next page.
 */
public record Page<T>(List<T> data, boolean hasMore, String nextCursor) {
    public Page {
        data = List.copyOf(data);
    }

    /** Builds a page from up to {@code limit + 1} fetched rows: the extra row only signals more. */
    public static <T> Page<T> of(List<T> fetched, int limit, java.util.function.Function<T, String> idOf) {
        boolean more = fetched.size() > limit;
        List<T> rows = more ? fetched.subList(0, limit) : fetched;
        return new Page<>(rows, more, more ? idOf.apply(rows.get(rows.size() - 1)) : null);
    }
}
