package dev.atelier.store.sql;

import dev.atelier.core.model.Instance;
import dev.atelier.core.port.InstanceReads;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link InstanceReads} kept in memory, fed by {@link InstanceChanges}: an entry stays until the feed says its
 * instance changed. This server's own writes are heard before they return; another replica's within one read
 * interval of the feed. While the feed has not been read for {@link #FEED_MAX_AGE_NANOS} (the database is
 * unreachable, or the feed thread is stalled) reads go to the store and nothing is kept.
 *
 * <p>A read that overlaps a change must not be kept, or it would keep what the change replaced. Every change bumps
 * a counter; a read notes the counter before it goes to the store, stores its result, and takes it out again if
 * the counter moved meanwhile. (A change removes its entry after bumping the counter, so whichever comes last
 * wins.) Each entry also lapses after {@link #MAX_AGE_NANOS}, which bounds the effect of a change the feed could
 * not see (a PostgreSQL transaction that committed more than {@link InstanceChanges#WINDOW_NANOS} after it wrote).
 */
public final class CachedInstanceReads implements InstanceReads, InstanceChanges.Listener {
    /** A bound on memory, not an eviction policy: when a map is full it is emptied (about 2 KB an instance). */
    static final int MAX_ENTRIES = 20_000;
    static final long MAX_AGE_NANOS = 60_000_000_000L;
    static final long FEED_MAX_AGE_NANOS = 2_000_000_000L;

    private record Entry<T>(T value, long readAt) {
    }

    private final InstanceReads store;
    private final InstanceChanges feed;
    private final ConcurrentHashMap<String, Entry<Instance>> instances = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Entry<Details>> details = new ConcurrentHashMap<>();
    private final AtomicLong changes = new AtomicLong();

    public CachedInstanceReads(InstanceReads store, InstanceChanges feed) {
        this.store = store;
        this.feed = feed;
        feed.listen(this);
    }

    @Override
    public Optional<Instance> instance(String id) {
        if (!feed.current(FEED_MAX_AGE_NANOS)) {
            return store.instance(id);
        }
        long now = System.nanoTime();
        Entry<Instance> e = instances.get(id);
        if (e != null && now - e.readAt() < MAX_AGE_NANOS) {
            return Optional.of(e.value());
        }
        long before = changes.get();
        Optional<Instance> read = store.instance(id);
        read.ifPresent(i -> keep(instances, id, i, now, before));
        return read;
    }

    @Override
    public Details details(String instanceId) {
        Entry<Details> e = details.get(instanceId);
        if (e != null && System.nanoTime() - e.readAt() < MAX_AGE_NANOS && feed.current(FEED_MAX_AGE_NANOS)) {
            return e.value(); // a show's read: no page of one to build
        }
        return InstanceReads.super.details(instanceId);
    }

    @Override
    public Map<String, Details> details(Collection<String> instanceIds) {
        if (!feed.current(FEED_MAX_AGE_NANOS)) {
            return store.details(instanceIds);
        }
        long now = System.nanoTime();
        Map<String, Details> out = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (String id : instanceIds) {
            Entry<Details> e = details.get(id);
            if (e != null && now - e.readAt() < MAX_AGE_NANOS) {
                out.put(id, e.value());
            } else {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            long before = changes.get();
            Map<String, Details> read = store.details(missing);
            out.putAll(read);
            read.forEach((id, d) -> keep(details, id, d, now, before));
        }
        return out;
    }

    private <T> void keep(ConcurrentHashMap<String, Entry<T>> map, String id, T value, long now, long before) {
        if (map.size() >= MAX_ENTRIES) {
            map.clear();
        }
        Entry<T> e = new Entry<>(value, now);
        map.put(id, e);
        if (changes.get() != before) {
            map.remove(id, e);
        }
    }

    @Override
    public void changed(String instanceId) {
        changes.incrementAndGet();
        instances.remove(instanceId);
        details.remove(instanceId);
    }

    @Override
    public void lost() {
        changes.incrementAndGet();
        instances.clear();
        details.clear();
    }
}
