package dev.atelier.core.port;

import dev.atelier.core.model.Instance;
import java.util.List;
import java.util.Optional;

/** Persistence of instances. Every write after the insert is a compare-and-set on {@link Instance#version()}. */
public interface InstanceStore {

    void insert(Instance instance);

    Optional<Instance> get(String id);

    /**
     * Writes {@code updated} if the stored version still equals {@code updated.version()}.
     * @return the stored instance (version incremented), or empty when another writer came first
     */
    Optional<Instance> update(Instance updated, long now);

    /** Removes the record if its version is still {@code version}. */
    boolean delete(String id, long version);

    InstancePage list(InstanceQuery query);

    /** Ids of instances the reconciler has to look at: transitional, running, or desired to be deleted. */
    List<String> activeIds();

    record InstanceQuery(String projectId, String ownerId, String nameContains, String status, int offset, int limit) {
    }

    record InstancePage(List<Instance> items, long total) {
    }
}
