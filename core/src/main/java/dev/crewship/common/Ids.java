package dev.crewship.common;

import java.security.SecureRandom;

/**
 * Prefixed, opaque identifiers ({@code run_3fK9…}). Time-ordered so that ids sort like creation
 * order, which the stores use as the cursor for paging; the random tail makes them unguessable.
 */
public final class Ids {
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Base62 characters one 63-bit draw carries: 62^10 < 2^63 < 62^11. */
    static final int CHARS_PER_DRAW = 10;
    /** The largest multiple of 62^10 that 63 bits reach (10 × 62^10); draws at or above it are redrawn. */
    private static final long UNBIASED_BOUND = 10 * pow62(CHARS_PER_DRAW);

    public static final String PROJECT = "proj_";
    public static final String DEPLOYMENT = "dep_";
    public static final String RUN = "run_";
    public static final String THREAD = "thr_";
    public static final String CHECKPOINT = "ckpt_";
    public static final String API_KEY = "key_";

    private Ids() {
    }

    private static long pow62(int exponent) {
        long value = 1;
        for (int i = 0; i < exponent; i++) {
            value *= 62;
        }
        return value;
    }

    /** prefix + 9 base62 chars of milliseconds (sortable) + 12 random base62 chars. */
    public static String next(String prefix) {
        StringBuilder sb = new StringBuilder(prefix.length() + 21).append(prefix);
        long millis = System.currentTimeMillis();
        char[] time = new char[9];
        for (int i = 8; i >= 0; i--) {
            time[i] = ALPHABET[(int) (millis % 62)];
            millis /= 62;
        }
        sb.append(time);
        appendRandom(sb, 12);
        return sb.toString();
    }

    /** Random base62 text for secrets (API keys). */
    public static String secret(int length) {
        StringBuilder sb = new StringBuilder(length);
        appendRandom(sb, length);
        return sb.toString();
    }

    /**
     * Appends {@code count} base62 characters, each uniform and independent, ten from every 63 random
     * bits: 62^10 fits in 63 bits, so one draw from the shared SecureRandom (which takes a lock and
     * mixes its output on every call) gives ten characters instead of one. Every id and request id
     * comes through here, so this is on the path of every API request. Draws of 10 × 62^10 or more
     * are thrown away, which keeps each group of ten characters exactly uniform.
     */
    static void appendRandom(StringBuilder sb, int count) {
        int left = count;
        while (left > 0) {
            long bits = RANDOM.nextLong() >>> 1;
            if (bits >= UNBIASED_BOUND) {
                continue;
            }
            for (int i = Math.min(CHARS_PER_DRAW, left); i > 0; i--, left--) {
                sb.append(ALPHABET[(int) (bits % 62)]);
                bits /= 62;
            }
        }
    }
}
