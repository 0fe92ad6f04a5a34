package dev.atelier.store.sql;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Values read from the store and kept in memory until {@link InstanceChanges} says they may have changed: the rules
 * that {@link CachedInstanceReads} and {@link CachedCounts} share.
 *
 * <ul>
 *   <li>While the feed has not been read for {@link #FEED_MAX_AGE_NANOS} (the database is unreachable, or the feed
 *   thread is stalled), nothing is answered from memory and nothing is kept.</li>
 *   <li>A read that overlaps a change is not kept, or it would keep what the change replaced. Every change bumps a
 *   counter; a read notes the counter before it goes to the store ({@link #mark}), keeps its result, and takes it
 *   out again if the counter moved meanwhile. A change removes what it touches after bumping the counter, so
 *   whichever comes last wins.</li>
 *   <li>Each value lapses after {@link #MAX_AGE_NANOS}, which bounds the effect of a change the feed could not see
 *   (a PostgreSQL transaction that committed more than {@link InstanceChanges#WINDOW_NANOS} after it wrote).</li>
 *   <li>At most {@code maxEntries} values are kept: a bound on memory, not an eviction policy (when full, all go).</li>
 * </ul>
 *
 * @param <K> what a value is kept under: an instance id, or a query
 * @param <V> the value
 */
final class FeedKept<K, V> implements InstanceChanges.Listener {
    static final long MAX_AGE_NANOS = 60_000_000_000L;
    static final long FEED_MAX_AGE_NANOS = 2_000_000_000L;

    private record Entry<V>(V value, long readAt) {
    }

    private final InstanceChanges feed;
    private final int maxEntries;
    /** Whether a change to one instance takes out every value (each may depend on any instance), or its own. */
    private final boolean everything;
    private final ConcurrentHashMap<K, Entry<V>> kept = new ConcurrentHashMap<>();
    private final AtomicLong changes = new AtomicLong();

    private FeedKept(InstanceChanges feed, int maxEntries, boolean everything) {
        this.feed = feed;
        this.maxEntries = maxEntries;
        this.everything = everything;
        feed.listen(this);
    }

    /** Values of one instance each, kept under its id: a change to it takes out its own. */
    static <V> FeedKept<String, V> byInstance(InstanceChanges feed, int maxEntries) {
        return new FeedKept<>(feed, maxEntries, false);
    }

    /** Values that may depend on any instance (counts): any change takes out all of them. */
    static <K, V> FeedKept<K, V> untilAnyChange(InstanceChanges feed, int maxEntries) {
        return new FeedKept<>(feed, maxEntries, true);
    }

    /** Whether values may be answered from memory and kept now. */
    boolean usable() {
        return feed.current(FEED_MAX_AGE_NANOS);
    }

    /** The value kept under {@code key} that has not lapsed, or null; null too while the feed is not current. */
    V get(K key) {
        Entry<V> e = kept.get(key);
        return e != null && System.nanoTime() - e.readAt() < MAX_AGE_NANOS && usable() ? e.value() : null;
    }

    /** The kept value, or what {@code read} gives, kept unless a change overlapped it; a null read is not kept. */
    V read(K key, Supplier<V> read) {
        if (!usable()) {
            return read.get();
        }
        V value = get(key);
        if (value != null) {
            return value;
        }
        Mark mark = mark();
        value = read.get();
        if (value != null) {
            keep(key, value, mark);
        }
        return value;
    }

    /** When and after which change a read began: taken before it goes to the store. */
    record Mark(long at, long changes) {
    }

    Mark mark() {
        return new Mark(System.nanoTime(), changes.get());
    }

    /** Keeps what a read that began at {@code mark} gave, unless a change came in since. */
    void keep(K key, V value, Mark mark) {
        if (kept.size() >= maxEntries) {
            kept.clear();
        }
        Entry<V> e = new Entry<>(value, mark.at());
        kept.put(key, e);
        if (changes.get() != mark.changes()) {
            kept.remove(key, e);
        }
    }

    int size() {
        return kept.size();
    }

    @Override
    public void changed(String instanceId) {
        changes.incrementAndGet();
        if (everything) {
            kept.clear();
        } else {
            kept.remove(instanceId);
        }
    }

    @Override
    public void lost() {
        changes.incrementAndGet();
        kept.clear();
    }
}
