package dev.atelier.core.port;

import dev.atelier.core.model.Mount;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a view of an instance shows beyond its own record: its tags, its mounted storage and its SSH endpoint, read
 * for one instance or a list page at once. A read model only: each is written through its own store
 * ({@link InstanceStore}, {@link MountStore}, {@link KeyPairStore}). Reading the three in one round trip keeps a
 * show at two store reads (the instance, then this).
 */
public interface InstanceDetailsStore {

    /** The details of each instance asked for; an instance with none of them maps to {@link Details#NONE}. */
    Map<String, Details> of(Collection<String> instanceIds);

    /** Tags by key (in key order), mounts in the order they were made, the SSH endpoint if there is one. */
    record Details(Map<String, String> tags, List<Mount> mounts, Optional<KeyPairStore.SshEndpoint> ssh) {
        public static final Details NONE = new Details(Map.of(), List.of(), Optional.empty());
    }
}
