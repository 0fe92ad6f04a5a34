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
 * Counts failed sign-ins (wrong password, bad signature, unknown access key or token) per user and per client
 * address in a sliding window. Once either has failed too often, every attempt from it is refused, right or
 * wrong, until the oldest failure leaves the window. Kept in memory: each replica counts on its own, and a
 * restart forgets (documented in docs/security.md).
 */
public final class SignInLimiter {
    public static final int DEFAULT_PER_USER = 10;
    public static final int DEFAULT_PER_ADDRESS = 100;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(15);

    private final int perUser;
    private final int perAddress;
    private final Duration window;
    private final Clock clock;
    private final ConcurrentHashMap<String, Deque<Long>> failures = new ConcurrentHashMap<>();

    public SignInLimiter(int perUser, int perAddress, Duration window, Clock clock) {
        this.perUser = perUser;
        this.perAddress = perAddress;
        this.window = window;
        this.clock = clock;
    }

    /** How long the user (may be null when unknown) or the address must wait, if either is locked out. */
    public Optional<Duration> lockedOut(String user, String address) {
        Optional<Duration> a = wait("addr:" + address, perAddress);
        return a.isPresent() || user == null ? a : wait("user:" + user, perUser);
    }

    /** Refuses (429, with when to retry) while the user (may be null when unknown) or the address is locked out. */
    public void requireNotLockedOut(String user, String address) {
        lockedOut(user, address).ifPresent(wait -> {
            throw new AtelierException(ErrorCode.TOO_MANY_SIGN_INS, "too many failed sign-ins for this user or "
                    + "from this address; retry in " + wait.toSeconds() + " s").retryAfter(wait);
        });
    }

    public void failed(String user, String address) {
        add("addr:" + address);
        if (user != null) {
            add("user:" + user);
        }
    }

    public void succeeded(String user) {
        failures.remove("user:" + user);
    }

    /** Takes back the address's latest failure: an attempt counted in advance that succeeded. */
    public void forgive(String address) {
        Deque<Long> d = failures.get("addr:" + address);
        if (d != null) {
            synchronized (d) {
                d.pollLast();
            }
        }
    }

    private void add(String key) {
        long now = clock.millis();
        failures.compute(key, (k, q) -> {
            Deque<Long> d = q == null ? new ArrayDeque<>() : q;
            prune(d, now);
            d.addLast(now);
            return d;
        });
        if (failures.size() > 100_000) {
            failures.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    prune(e.getValue(), now);
                    return e.getValue().isEmpty();
                }
            });
        }
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
