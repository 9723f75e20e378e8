package dev.crewship.common;

import dev.crewship.error.CrewshipException;

/** Cursor paging input: newest first, {@code startingAfter} is an id from a previous page. */
public record PageRequest(int limit, String startingAfter) {
    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;

    public PageRequest {
        if (limit < 1 || limit > MAX_LIMIT) {
            throw CrewshipException.invalid("limit must be between 1 and " + MAX_LIMIT);
        }
    }

    public static PageRequest first(int limit) {
        return new PageRequest(limit, null);
    }
}
