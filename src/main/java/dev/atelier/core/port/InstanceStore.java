package dev.atelier.core.port;

import dev.atelier.core.model.Feature;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceStatus;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Persistence of instances. Every write after the insert is a compare-and-set on {@link Instance#version()}. */
public interface InstanceStore {

    /** Inserts without any admission rule or event (tests, benchmarks, seeding). */
    default void insert(Instance instance) {
        insert(instance, Admission.NONE, null, List.of());
    }

    /**
     * Inserts the instance, its SSH endpoint (may be null) and its first events in one transaction, unless a rule of
     * the admission refuses it; the rules are checked in that transaction, serialised per project, so that two
     * creates at once cannot both pass a check that only one of them may.
     */
    Admitted insert(Instance instance, Admission admission, KeyPairStore.SshEndpoint ssh, List<InstanceEvent> events);

    /**
     * What a create must respect: at most {@code maxOwned} instances of the instance's feature owned by its owner in
     * its project; when {@code uniqueName}, no other live instance of that name in the project; at most
     * {@code maxInWorkspace} live instances in its workspace (below zero: no limit).
     */
    record Admission(int maxOwned, boolean uniqueName, long maxInWorkspace) {
        public static final Admission NONE = new Admission(Integer.MAX_VALUE, false, -1);

        public Admission(int maxOwned, boolean uniqueName) {
            this(maxOwned, uniqueName, -1);
        }
    }

    enum Admitted { INSERTED, QUOTA_EXCEEDED, NAME_TAKEN, WORKSPACE_QUOTA_EXCEEDED }

    Optional<Instance> get(String id);

    /**
     * Writes {@code updated} if the stored version still equals {@code updated.version()}.
     * @return the stored instance (version incremented), or empty when another writer came first
     */
    default Optional<Instance> update(Instance updated, long now) {
        return update(updated, now, List.of());
    }

    /** As {@link #update(Instance, long)}, with the events the write makes, stored in the same transaction. */
    Optional<Instance> update(Instance updated, long now, List<InstanceEvent> events);

    /**
     * Removes the record, with its events, if its version is still {@code version}; what its server ran up to
     * {@code now}, if it still ran, is kept in the month's use.
     */
    boolean delete(String id, long version, long now);

    InstancePage list(InstanceQuery query);

    /** The tags of each of {@code instanceIds} that has any, in key order. */
    Map<String, Map<String, String>> tags(Collection<String> instanceIds);

    /** Sets tags on an instance, overwriting the values of keys it has. */
    void putTags(String instanceId, Map<String, String> tags);

    /** Removes tags by key; with a value, only where the value matches. Unknown keys are ignored. */
    void removeTags(String instanceId, Map<String, String> keysAndOptionalValues);

    /** Every tag key of the project's instances with its distinct values, sorted. */
    Map<String, List<String>> projectTags(String projectId, String workspaceId);

    /**
     * The instances of the project (of one owner, unless {@code ownerId} is null) that run or are to run, counted by
     * flavor: those to run whose status holds room in a pool.
     */
    Map<String, Long> flavorsRunning(String projectId, String ownerId);

    /** How many instances a workspace of the project holds, not counting those being deleted. */
    long countInWorkspace(String projectId, String workspaceId);

    /** How many instances the owner has of a feature, not counting those being deleted. */
    long countOwned(String projectId, String ownerId, Feature feature);

    /** Instances, in any project, created from the image (and not being deleted). */
    long countUsingImage(String imageId);

    /**
     * Claims, for {@code replica} until {@code until}, every instance the reconciler must look at that no other
     * replica holds a live claim on; renews the claims it already holds. Returns the ids it holds now.
     */
    List<String> claimActive(String replica, long now, long until);

    /** Gives up every claim of {@code replica} (it is shutting down): other replicas take over at once. */
    void releaseClaims(String replica);

    /** Claims one instance (free, lapsed, or already {@code replica}'s); true when {@code replica} holds it now. */
    boolean claim(String id, String replica, long now, long until);

    /**
     * A filtered, sorted page of one project's instances. Null filters do not filter; {@code statuses} matches
     * any of its values (none: nothing); {@code poolId} matches instances of that dedicated pool. {@code sort}
     * names fields of {@link #SORTABLE}; ties are broken by id. Built with {@link #in}.
     */
    record InstanceQuery(String projectId, String ownerId, String nameContains, List<InstanceStatus> statuses,
                         Feature feature, String workspaceId, String poolId, String flavorId, String imageId, String id,
                         List<Sort> sort, int offset, int limit, Boolean waiting) {

        public static final List<String> SORTABLE = List.of("create_at", "update_at", "name", "status", "flavor",
                "id");

        /** A query of the project's instances: all of them, newest first, until narrowed. */
        public static Builder in(String projectId) {
            return new Builder().project(projectId);
        }

        /** The plainest query: everything in a project, newest first. */
        public static InstanceQuery all(String projectId, int offset, int limit) {
            return in(projectId).page(offset, limit).build();
        }

        /** Each setter narrows the query; what is never set does not filter. */
        public static final class Builder {
            private String projectId;
            private String ownerId;
            private String nameContains;
            private List<InstanceStatus> statuses;
            private Feature feature;
            private String workspaceId;
            private String poolId;
            private String flavorId;
            private String imageId;
            private String id;
            private Boolean waiting;
            private List<Sort> sort = List.of(new Sort("create_at", false));
            private int offset;
            private int limit = Integer.MAX_VALUE;

            public Builder project(String v) {
                projectId = v;
                return this;
            }

            public Builder owner(String v) {
                ownerId = v;
                return this;
            }

            public String owner() {
                return ownerId;
            }

            public Builder nameContains(String v) {
                nameContains = v;
                return this;
            }

            public Builder statuses(List<InstanceStatus> v) {
                statuses = v == null ? null : List.copyOf(v);
                return this;
            }

            public Builder feature(Feature v) {
                feature = v;
                return this;
            }

            public Builder workspace(String v) {
                workspaceId = v;
                return this;
            }

            public Builder pool(String v) {
                poolId = v;
                return this;
            }

            public Builder flavor(String v) {
                flavorId = v;
                return this;
            }

            public Builder image(String v) {
                imageId = v;
                return this;
            }

            public Builder id(String v) {
                id = v;
                return this;
            }

            /** True: only instances waiting in a pool's queue; false: only those that do not wait. */
            public Builder waiting(Boolean v) {
                waiting = v;
                return this;
            }

            public Builder sort(List<Sort> v) {
                sort = List.copyOf(v);
                return this;
            }

            public Builder page(int newOffset, int newLimit) {
                offset = newOffset;
                limit = newLimit;
                return this;
            }

            public InstanceQuery build() {
                return new InstanceQuery(projectId, ownerId, nameContains, statuses, feature, workspaceId, poolId,
                        flavorId, imageId, id, sort, offset, limit, waiting);
            }
        }
    }

    record Sort(String field, boolean ascending) {
    }

    record InstancePage(List<Instance> items, long total) {
    }
}
