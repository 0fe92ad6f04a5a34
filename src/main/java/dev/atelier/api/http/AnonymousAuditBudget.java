package dev.atelier.api.http;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * How many refused state-changing calls without a signed-in caller (no credentials, bad ones, failed sign-ins) are
 * written to the audit log one by one: at most {@link #PER_ADDRESS} a minute from one client address and
 * {@link #TOTAL} a minute in all. Without a bound, anyone who can reach the port could fill the audit table. Calls
 * beyond it are counted for the server log instead. Calls by signed-in callers, and successful sign-ins, are
 * always audited.
 */
final class AnonymousAuditBudget {
    static final int PER_ADDRESS = 60;
    static final int TOTAL = 1_000;
    static final long MINUTE_MS = 60_000;

    /** One minute's count for an address: when it began, calls written, calls left out. */
    private static final class Window {
        long start;
        int written;
        int leftOut;
    }

    /**
     * {@code record}: write this call's entry. {@code firstLeftOut}: the first call of this minute from the
     * address that is not written (say so in the server log). {@code leftOutLastMinute}: how many the address's
     * previous minute left out, reported once, with its first call after it.
     */
    record Decision(boolean record, boolean firstLeftOut, int leftOutLastMinute) {
    }

    private final LongSupplier millis;
    private final Map<String, Window> windows = new HashMap<>();
    private final Window total = new Window();

    AnonymousAuditBudget(LongSupplier millis) {
        this.millis = millis;
    }

    synchronized Decision take(String address) {
        long now = millis.getAsLong();
        if (windows.size() > 100_000) {
            windows.values().removeIf(w -> now - w.start >= MINUTE_MS);
        }
        roll(total, now);
        Window mine = windows.computeIfAbsent(address, a -> {
            Window w = new Window();
            w.start = now;
            return w;
        });
        int leftOutLastMinute = roll(mine, now);
        if (mine.written < PER_ADDRESS && total.written < TOTAL) {
            mine.written++;
            total.written++;
            return new Decision(true, false, leftOutLastMinute);
        }
        mine.leftOut++;
        return new Decision(false, mine.leftOut == 1, leftOutLastMinute);
    }

    /** Starts a new minute if this one is over; returns how many the one that ended left out. */
    private static int roll(Window w, long now) {
        if (now - w.start < MINUTE_MS) {
            return 0;
        }
        int leftOut = w.leftOut;
        w.start = now;
        w.written = 0;
        w.leftOut = 0;
        return leftOut;
    }
}
