package dev.atelier.core.auth;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed sign-ins in a sliding window, so that guessing is slow and then refused, while nobody can lock
 * a user out from elsewhere (the policy is in docs/security.md):
 * <ul>
 *   <li>per client address, every failure (wrong password, bad signature, unknown access key or token): past
 *       the limit, that address is refused everything that needs credentials;</li>
 *   <li>per account and address pair, wrong passwords: past {@link #SLOW_AFTER} each further failure is
 *       answered more slowly, and past the limit the pair is refused, right password or wrong.</li>
 * </ul>
 * Nothing counts against an account as a whole: a signature cannot be guessed, so bad ones only count against the
 * address that sent them, and a correct password from an address that has not been failing always succeeds.
 * Kept in memory: each replica counts on its own, and a restart forgets.
 */
public final class SignInLimiter {
    public static final int DEFAULT_PER_ACCOUNT_AND_ADDRESS = 10;
    public static final int DEFAULT_PER_ADDRESS = 100;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(15);
    /** Wrong passwords of one pair answered at once; each further one waits twice as long as the one before. */
    static final int SLOW_AFTER = 3;
    static final Duration FIRST_DELAY = Duration.ofMillis(250);
    static final Duration MAX_DELAY = Duration.ofSeconds(4);
    private static final int MAX_KEYS = 100_000;

    private final int perPair;
    private final int perAddress;
    private final Duration window;
    private final Clock clock;
    private final ConcurrentHashMap<String, Deque<Long>> failures = new ConcurrentHashMap<>();

    public SignInLimiter(int perPair, int perAddress, Duration window, Clock clock) {
        if (perPair < 1 || perAddress < 1) {
            throw new IllegalArgumentException("sign-in limits must be at least 1");
        }
        this.perPair = perPair;
        this.perAddress = perAddress;
        this.window = window;
        this.clock = clock;
    }

    /** Refuses (429, with when to retry) everything from an address that has failed too often. */
    public void requireAddressNotLockedOut(String address) {
        wait(addressKey(address), perAddress).ifPresent(SignInLimiter::refuse);
    }

    /** Refuses a password sign-in while its address, or this account from this address, has failed too often. */
    public void requireNotLockedOut(String account, String address) {
        requireAddressNotLockedOut(address);
        wait(pairKey(account, address), perPair).ifPresent(SignInLimiter::refuse);
    }

    /** A failure that names no account that could be guessed at (a bad signature, an unknown key or token). */
    public void failed(String address) {
        add(addressKey(address));
    }

    /**
     * A password sign-in about to be checked, counted as failed in advance (so that attempts in parallel cannot all
     * pass the limit; {@link #succeeded} takes it back). Returns how long to hold the answer should it fail.
     */
    public Duration failedSignIn(String account, String address) {
        add(addressKey(address));
        int n = add(pairKey(account, address));
        if (n <= SLOW_AFTER) {
            return Duration.ZERO;
        }
        int doublings = Math.min(n - SLOW_AFTER - 1, 16);
        Duration d = FIRST_DELAY.multipliedBy(1L << doublings);
        return d.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : d;
    }

    /** The password was right: the pair starts afresh, and the address's advance count is taken back. */
    public void succeeded(String account, String address) {
        failures.remove(pairKey(account, address));
        Deque<Long> d = failures.get(addressKey(address));
        if (d != null) {
            synchronized (d) {
                d.pollLast();
            }
        }
    }

    private static void refuse(Duration wait) {
        throw new AtelierException(ErrorCode.TOO_MANY_SIGN_INS, "too many failed sign-ins from this address; "
                + "retry in " + wait.toSeconds() + " s").retryAfter(wait);
    }

    private static String addressKey(String address) {
        return "a:" + address;
    }

    private static String pairKey(String account, String address) {
        return "p:" + account + "\u0000" + address;
    }

    /** Adds a failure now; returns how many the key has in the window. */
    private int add(String key) {
        long now = clock.millis();
        int[] count = new int[1];
        failures.compute(key, (k, q) -> {
            Deque<Long> d = q == null ? new ArrayDeque<>() : q;
            synchronized (d) {
                prune(d, now);
                d.addLast(now);
                count[0] = d.size();
            }
            return d;
        });
        if (failures.size() > MAX_KEYS) {
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    prune(e.getValue(), now);
                    return e.getValue().isEmpty();
                }
            });
        }
        return count[0];
    }

    private Optional<Duration> wait(String key, int limit) {
        Deque<Long> d = failures.get(key);
        if (d == null) {
            return Optional.empty();
        }
        long now = clock.millis();
        synchronized (d) {
            prune(d, now);
            if (d.size() < limit) {
                return Optional.empty();
            }
            long freeAt = d.toArray(new Long[0])[d.size() - limit] + window.toMillis();
            return Optional.of(Duration.ofMillis(Math.max(1000, freeAt - now)));
        }
    }

    private void prune(Deque<Long> d, long now) {
        synchronized (d) {
            while (!d.isEmpty() && d.peekFirst() <= now - window.toMillis()) {
                d.pollFirst();
            }
        }
    }
}
