package dev.crewship.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdsTest {
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    @Test
    void secretsHaveTheAskedLengthInBase62AcrossDrawBoundaries() {
        for (int length : new int[] {0, 1, 9, 10, 11, 16, 20, 43}) {
            String secret = Ids.secret(length);
            assertThat(secret).hasSize(length);
            assertThat(secret.chars()).allMatch(c -> BASE62.indexOf(c) >= 0);
        }
    }

    @Test
    void everyPositionOfASecretTakesEveryCharacter() {
        // 20 positions span two draws; 5,000 secrets leave a character unseen at a position with
        // probability about 62 × (61/62)^5000, i.e. never, unless a position is not uniform.
        int length = 2 * Ids.CHARS_PER_DRAW;
        @SuppressWarnings("unchecked")
        Set<Character>[] seen = new Set[length];
        for (int i = 0; i < length; i++) {
            seen[i] = new HashSet<>();
        }
        for (int n = 0; n < 5_000; n++) {
            String secret = Ids.secret(length);
            for (int i = 0; i < length; i++) {
                seen[i].add(secret.charAt(i));
            }
        }
        for (Set<Character> position : seen) {
            assertThat(position).hasSize(62);
        }
    }

    @Test
    void idsArePrefixedSortableByTimeAndDistinct() throws InterruptedException {
        String first = Ids.next(Ids.RUN);
        Thread.sleep(2);
        String second = Ids.next(Ids.RUN);
        assertThat(first).startsWith(Ids.RUN).hasSize(Ids.RUN.length() + 21);
        assertThat(first.substring(Ids.RUN.length())).matches("[0-9A-Za-z]{21}");
        assertThat(first).isLessThan(second);

        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(Ids.next(Ids.RUN));
        }
        assertThat(ids).hasSize(100_000);
    }

    @Test
    void idsMadeInTheSameMillisecondSortInTheOrderTheyWereMade() {
        // 100,000 ids take a few milliseconds: most share their millisecond with the one before.
        String previous = Ids.next(Ids.DEPLOYMENT);
        for (int i = 0; i < 100_000; i++) {
            String id = Ids.next(Ids.DEPLOYMENT);
            assertThat(id).isGreaterThan(previous);
            previous = id;
        }
    }

    @Test
    void aClockThatStepsBackDoesNotReorderIds() {
        Ids.Order order = new Ids.Order();
        order.advance(1_000);
        BigInteger tail = tail(order);
        order.advance(990);
        assertThat(order.millis).isEqualTo(1_000);
        assertThat(tail(order)).isGreaterThan(tail);
    }

    @Test
    void aSpentTailBorrowsTheNextMillisecond() {
        Ids.Order order = new Ids.Order();
        order.advance(1_000);
        order.tailHigh = Ids.Order.HIGH_BOUND - 1;
        order.tailLow = Ids.Order.LOW_BOUND - 1;
        order.advance(1_000);
        assertThat(order.millis).isEqualTo(1_001);
        order.advance(1_001);
        assertThat(order.millis).isEqualTo(1_001);
    }

    private static BigInteger tail(Ids.Order order) {
        return BigInteger.valueOf(order.tailHigh).multiply(BigInteger.valueOf(Ids.Order.LOW_BOUND)).add(BigInteger.valueOf(order.tailLow));
    }
}
