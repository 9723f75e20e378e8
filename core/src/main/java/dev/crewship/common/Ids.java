package dev.crewship.common;

import java.security.SecureRandom;

/**
 * Prefixed, opaque identifiers ({@code run_3fK9…}). Time-ordered so that ids sort like creation
 * order, which the stores use as the cursor for paging; the random tail makes them unguessable.
 */
public final class Ids {
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    public static final String PROJECT = "proj_";
    public static final String DEPLOYMENT = "dep_";
    public static final String RUN = "run_";
    public static final String THREAD = "thr_";
    public static final String CHECKPOINT = "ckpt_";
    public static final String API_KEY = "key_";

    private Ids() {
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
        for (int i = 0; i < 12; i++) {
            sb.append(ALPHABET[RANDOM.nextInt(62)]);
        }
        return sb.toString();
    }

    /** Random base62 text for secrets (API keys). */
    public static String secret(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET[RANDOM.nextInt(62)]);
        }
        return sb.toString();
    }
}
