package dev.atelier.store.sql;

import dev.atelier.core.model.Instance;
import dev.atelier.core.port.InstanceReads;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link InstanceReads} kept in memory under the rules of {@link FeedKept}: an entry stays until the feed says its
 * instance changed. This server's own writes are heard before they return; another replica's within one read
 * interval of the feed. While the feed is not current (the database is unreachable, or the feed thread is stalled)
 * reads go to the store and nothing is kept.
 */
public final class CachedInstanceReads implements InstanceReads {
    /** A bound on memory, not an eviction policy: when a map is full it is emptied (about 2 KB an instance). */
    static final int MAX_ENTRIES = 20_000;

    private final InstanceReads store;
    private final FeedKept<String, Instance> instances;
    private final FeedKept<String, Details> details;

    public CachedInstanceReads(InstanceReads store, InstanceChanges feed) {
        this.store = store;
        this.instances = FeedKept.byInstance(feed, MAX_ENTRIES);
        this.details = FeedKept.byInstance(feed, MAX_ENTRIES);
    }

    @Override
    public Optional<Instance> instance(String id) {
        return Optional.ofNullable(instances.read(id, () -> store.instance(id).orElse(null)));
    }

    @Override
    public Details details(String instanceId) {
        Details kept = details.get(instanceId);
        return kept != null ? kept : InstanceReads.super.details(instanceId); // a show's: no page of one to build
    }

    @Override
    public Map<String, Details> details(Collection<String> instanceIds) {
        if (!details.usable()) {
            return store.details(instanceIds);
        }
        Map<String, Details> out = new HashMap<>();
        List<String> missing = new ArrayList<>();
        for (String id : instanceIds) {
            Details kept = details.get(id);
            if (kept != null) {
                out.put(id, kept);
            } else {
                missing.add(id);
            }
        }
        if (!missing.isEmpty()) {
            FeedKept.Mark mark = details.mark();
            Map<String, Details> read = store.details(missing);
            out.putAll(read);
            read.forEach((id, d) -> details.keep(id, d, mark));
        }
        return out;
    }
}
