package dev.atelier.core.port;

import dev.atelier.core.model.Instance;
import dev.atelier.core.model.Mount;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The read model the API shows instances from: an instance's record, and what a view of it shows beyond that (its
 * tags, mounts and SSH endpoint), for one instance or a list page at once. Reads only: each part is written
 * through its own store ({@link InstanceStore}, {@link MountStore}, {@link KeyPairStore}).
 *
 * <p>An implementation may answer from memory. It must reflect every write this server made before the write
 * returned, and a write made elsewhere (another replica) soon after, within a bound it documents. A decision that
 * must see every other replica's latest write reads {@link InstanceStore#get}; a writer that read here relies on
 * its compare-and-set on the version, and reads the store after losing one.
 */
public interface InstanceReads {

    Optional<Instance> instance(String id);

    /** The details of each instance asked for; an instance with none of them maps to {@link Details#NONE}. */
    Map<String, Details> details(Collection<String> instanceIds);

    /** The details of one instance ({@link Details#NONE} when it has none). */
    default Details details(String instanceId) {
        return details(java.util.List.of(instanceId)).getOrDefault(instanceId, Details.NONE);
    }

    /**
     * Tags by key (in key order), mounts in the order they were made, the SSH endpoint if there is one. Read-only:
     * one value may be shared by many readers.
     */
    record Details(Map<String, String> tags, List<Mount> mounts, Optional<KeyPairStore.SshEndpoint> ssh) {
        public static final Details NONE = new Details(Map.of(), List.of(), Optional.empty());

        public Details {
            tags = java.util.Collections.unmodifiableMap(tags);
            mounts = List.copyOf(mounts);
        }
    }
}
