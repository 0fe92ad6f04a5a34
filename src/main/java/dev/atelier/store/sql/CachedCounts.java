package dev.atelier.store.sql;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * List totals kept in memory until the next change to any instance, fed by {@link InstanceChanges}: a list's
 * {@code total} counts every match (100,000 index entries for a whole project of that size, most of a list's
 * cost), while dashboards ask for the same page again and again between changes. This server's own writes are
 * heard before they return, another replica's within one read interval of the feed; while the feed is not current
 * every count goes to the store. A count read while a change came in is not kept (as in
 * {@link CachedInstanceReads}), and each lapses after {@link CachedInstanceReads#MAX_AGE_NANOS}.
 */
final class CachedCounts implements InstanceChanges.Listener {
    /** A bound on memory: when full, emptied. */
    static final int MAX_ENTRIES = 10_000;
    /** Queries with longer parameters (a long name filter) are counted every time: a key must stay small. */
    static final int MAX_KEY_CHARS = 512;

    private record Entry(long count, long readAt) {
    }

    private final InstanceChanges feed;
    private final ConcurrentHashMap<java.util.List<Object>, Entry> counts = new ConcurrentHashMap<>();
    private final AtomicLong changes = new AtomicLong();

    CachedCounts(InstanceChanges feed) {
        this.feed = feed;
        feed.listen(this);
    }

    /**
     * The count that {@code statement} reads with its parameters' {@code values} (in its order), from memory where it
     * can.
     */
    long count(String statement, java.util.List<Object> values, LongSupplier read) {
        if (!feed.current(CachedInstanceReads.FEED_MAX_AGE_NANOS) || values.toString().length() > MAX_KEY_CHARS) {
            return read.getAsLong();
        }
        java.util.List<Object> query = java.util.List.of(statement, values);
        long now = System.nanoTime();
        Entry e = counts.get(query);
        if (e != null && now - e.readAt() < CachedInstanceReads.MAX_AGE_NANOS) {
            return e.count();
        }
        long before = changes.get();
        long count = read.getAsLong();
        if (counts.size() >= MAX_ENTRIES) {
            counts.clear();
        }
        Entry kept = new Entry(count, now);
        counts.put(query, kept);
        if (changes.get() != before) {
            counts.remove(query, kept);
        }
        return count;
    }

    @Override
    public void changed(String instanceId) {
        changes.incrementAndGet();
        counts.clear();
    }

    @Override
    public void lost() {
        changes.incrementAndGet();
        counts.clear();
    }
}
