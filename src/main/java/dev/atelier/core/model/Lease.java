package dev.atelier.core.model;

/**
 * The auto-stop countdown. The deadline is {@code createAt + durationMs}; {@code requestedMs} is what the
 * user asked for on the last (re)start of the countdown, kept so the countdown can be restarted.
 */
public record Lease(long createAt, long durationMs, boolean enabled, LeaseType type, long updateAt, long requestedMs) {

    public static final long DEFAULT_MS = 3_600_000L;
    public static final long MIN_MS = 3_600_000L;
    public static final long MAX_MS = 259_200_000L;

    /** A lease as requested at creation; the countdown starts when the instance first runs. */
    public static Lease requested(long createAt, Long requestedMs, LeaseType type) {
        boolean enabled = requestedMs == null || requestedMs != -1L;
        long requested = requestedMs == null || requestedMs == -1L ? DEFAULT_MS : requestedMs;
        return new Lease(createAt, requested, enabled, type, createAt, requested);
    }

    /** This lease with what {@code requested} asks for: enabled, type and requested duration. */
    public Lease requesting(Lease requested) {
        return new Lease(createAt, durationMs, requested.enabled, requested.type, updateAt, requested.requestedMs);
    }

    /**
     * Auto stop as the legacy API sets it: switching it off takes effect at once; a new duration applies from
     * the next start, unless auto stop was off, in which case the countdown starts now.
     */
    public Lease withAutoStop(Long requestedMsOrDisabled, long now) {
        if (requestedMsOrDisabled == null || requestedMsOrDisabled == -1L) {
            return new Lease(createAt, durationMs, false, type, now, requestedMs);
        }
        Lease next = new Lease(createAt, durationMs, true, LeaseType.TIMING, now, requestedMsOrDisabled);
        return enabled ? next : next.restartedAt(now);
    }

    /** The auto-stop deadline in epoch ms. */
    public long deadline() {
        return createAt + durationMs;
    }

    /** Restarts the countdown at {@code now}: the new deadline is {@code now + requestedMs}. */
    public Lease restartedAt(long now) {
        return new Lease(createAt, (now - createAt) + requestedMs, enabled, type, now, requestedMs);
    }
}
