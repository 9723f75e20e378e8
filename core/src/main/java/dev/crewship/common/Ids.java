package dev.crewship.common;

import java.security.SecureRandom;

/**
 * Prefixed, opaque identifiers ({@code run_3fK9…}). Time-ordered so that ids sort like creation
 * order, which the stores use as the cursor for paging; the random tail makes them unguessable.
 */
public final class Ids {
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Guarded by itself: every id of this process is ordered after the one before it. */
    private static final Order ORDER = new Order();
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

    /**
     * prefix + 9 base62 chars of milliseconds + 12 base62 chars of a tail that is random at the first
     * id of a millisecond and grows by a random step with every further id in that millisecond. So
     * ids made by one process sort exactly in the order they were made (two runs or deployments
     * created in the same millisecond included, and across a clock that steps back), which the
     * stores rely on for paging and for "the newest deployment" — and a tail stays unguessable from
     * the one before it.
     */
    public static String next(String prefix) {
        StringBuilder sb = new StringBuilder(prefix.length() + 21).append(prefix);
        synchronized (ORDER) {
            ORDER.advance(System.currentTimeMillis());
            appendBase62(sb, ORDER.millis, 9);
            appendBase62(sb, ORDER.tailHigh, 2);
            appendBase62(sb, ORDER.tailLow, CHARS_PER_DRAW);
        }
        return sb.toString();
    }

    /** The last id's time and tail; the tail is tailHigh × 62^10 + tailLow (12 base62 chars). */
    static final class Order {
        static final long LOW_BOUND = pow62(CHARS_PER_DRAW);
        static final int HIGH_BOUND = 62 * 62;
        /** Steps are drawn below 2^32: ~2^40 ids fit in one millisecond before the tail runs out. */
        private static final long MAX_STEP = 1L << 32;

        long millis = -1;
        int tailHigh;
        long tailLow;

        void advance(long now) {
            if (now > millis) {
                millis = now;
                freshTail();
                return;
            }
            tailLow += 1 + RANDOM.nextLong(MAX_STEP);
            if (tailLow >= LOW_BOUND) {
                tailLow -= LOW_BOUND;
                tailHigh++;
            }
            if (tailHigh == HIGH_BOUND) {
                // The tail is spent: borrow the next millisecond rather than break the order.
                millis++;
                freshTail();
            }
        }

        private void freshTail() {
            tailHigh = RANDOM.nextInt(HIGH_BOUND);
            tailLow = RANDOM.nextLong(LOW_BOUND);
        }
    }

    /** Appends {@code value} as exactly {@code width} base62 characters, most significant first. */
    private static void appendBase62(StringBuilder sb, long value, int width) {
        char[] chars = new char[width];
        for (int i = width - 1; i >= 0; i--) {
            chars[i] = ALPHABET[(int) (value % 62)];
            value /= 62;
        }
        sb.append(chars);
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
