package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Cause;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Feature;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.core.model.WorkspaceId;
import dev.atelier.core.port.InstanceReads;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.InstanceStore.InstancePage;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The use cases on instances. The API only records what the user wants and returns; the {@link Reconciler}
 * makes it so.
 */
public final class InstanceService {

    /** The volume a create gets where it names no capacity. */
    public static final int DEFAULT_EVS_GB = 5;
    private static final int MAX_EVS_GB = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How many NOTEBOOK instances one user may have unless the operator says otherwise. */
    public static final int DEFAULT_NOTEBOOK_QUOTA = 100;
    private static final int MAX_TAGS = 20;

    private final InstanceStore store;
    private final InstanceReads reads;
    private final Catalog catalog;
    private final Pools pools;
    private final WorkspaceService workspaces;
    private final Quotas quotas;
    private final ImageService images;
    private final InstanceRequests asked;
    private final Clock clock;
    private final int notebookQuota;
    private volatile java.util.function.Consumer<String> onChange = id -> { };
    private volatile dev.atelier.core.port.WarmStarts warm = dev.atelier.core.port.WarmStarts.NONE;

    /** What limits creates and starts besides the per-user count: pools and their queues, workspaces, quotas. */
    public record Limits(Pools pools, WorkspaceService workspaces, Quotas quotas) {
    }

    /**
     * {@code reads}: what shows and authorization checks read instances from (it may answer from memory); every
     * read that leads to a write goes to {@code store}.
     */
    public InstanceService(InstanceStore store, InstanceReads reads, Catalog catalog, Limits limits,
                           ImageService images, Clock clock, int notebookQuota) {
        this.store = store;
        this.reads = reads;
        this.catalog = catalog;
        this.pools = limits.pools();
        this.workspaces = limits.workspaces();
        this.quotas = limits.quotas();
        this.images = images;
        this.asked = new InstanceRequests(catalog, images);
        this.clock = clock;
        this.notebookQuota = notebookQuota;
    }

    /** New instances take a server the runtime started ahead of demand, where it has one that fits. */
    public void startWarmFrom(dev.atelier.core.port.WarmStarts servers) {
        this.warm = servers;
    }

    /** Called with an instance id whenever the desired state of that instance changed. */
    public void onChange(java.util.function.Consumer<String> listener) {
        this.onChange = listener;
    }

    public Instance create(Caller caller, String projectId, CreateInstance req) {
        String name = InstanceRequests.name(InstanceRequests.required(req.name(), "name"));
        String description = InstanceRequests.description(req.description() == null ? "" : req.description());
        Feature feature = req.feature() == null ? Feature.NOTEBOOK : Feature.parse(req.feature()).orElseThrow(() ->
                new AtelierException(ErrorCode.INVALID_VALUE, "feature must be NOTEBOOK or DEFAULT"));
        Flavor flavor = asked.flavor(projectId, InstanceRequests.required(req.flavorId(), "flavor"));
        if (!flavor.feature().equals(feature)) {
            throw new AtelierException(ErrorCode.FLAVOR_FEATURE_MISMATCH,
                    "flavor " + flavor.id() + " is for feature " + flavor.feature() + ", not " + feature);
        }
        Image image = asked.image(projectId, InstanceRequests.required(req.imageId(), "image_id"));
        String imageId = image.id();
        String workspaceId = WorkspaceId.check(req.workspaceId(), ErrorCode.INVALID_VALUE);
        long workspaceLimit = workspaces.notebookLimit(projectId, workspaceId);
        String poolId = pools.forCreate(projectId, req.poolId(), flavor);
        quotas.checkRoomFor(projectId, caller.userId(), flavor);
        pools.checkQueueRoom(caller.userId(), poolId);
        Volume volume = InstanceRequests.volume(req, flavor);
        Lease lease = InstanceRequests.lease(req.durationMs(), req.leaseType(), clock.millis());
        int limit = quotaLimit(feature);
        long now = clock.millis();
        // a server started ahead of demand is started for an id, which its address is built on
        java.util.Optional<String> warmId = warm.claim(image, flavor, volume);
        Instance instance = new Instance(new Instance.Metadata(warmId.orElseGet(() -> UUID.randomUUID().toString()), projectId,
                caller.userId(), workspaceId, feature, now, now, 1, poolId),
                new Instance.Spec(name, description, flavor.id(), imageId, volume, lease, DesiredState.RUNNING,
                        caller.requestId()),
                Instance.Observed.creating(newToken()));
        // the quota and the name are checked in the insert's own transaction: two creates at once cannot both pass
        InstanceStore.Admitted admitted = null;
        try {
            admitted = store.insert(instance, new InstanceStore.Admission(limit, req.uniqueName(), workspaceLimit),
                    req.ssh(), History.created(instance, Cause.person(caller.userId(), caller.userName(),
                            instance.ownerId(), caller.requestId())));
        } finally {
            if (admitted == null) { // recorded or not: the store cannot say
                warmId.ifPresent(warm::giveUp);
            } else if (admitted != InstanceStore.Admitted.INSERTED) {
                warmId.ifPresent(warm::unclaim); // no instance took it: another may
            }
        }
        switch (admitted) {
            case QUOTA_EXCEEDED -> throw quotaExceeded(feature, limit,
                    store.countOwned(projectId, caller.userId(), feature));
            case NAME_TAKEN -> throw new AtelierException(ErrorCode.NAME_TAKEN, "an instance named " + name
                    + " already exists");
            case WORKSPACE_QUOTA_EXCEEDED -> throw new AtelierException(ErrorCode.WORKSPACE_QUOTA_EXCEEDED,
                    "workspace " + workspaceId + " quota exhausted: " + store.countInWorkspace(projectId, workspaceId)
                    + " of " + workspaceLimit + " " + WorkspaceService.NOTEBOOKS + " in use");
            case INSERTED -> {
            }
        }
        onChange.accept(instance.id());
        return instance;
    }

    private static AtelierException quotaExceeded(Feature feature, int limit, long used) {
        return feature == Feature.DEFAULT
                ? new AtelierException(ErrorCode.QUOTA_EXCEEDED, "a user may have only " + limit
                + " free (DEFAULT) instance; delete the one you have first")
                : new AtelierException(ErrorCode.WORKSPACE_QUOTA_EXCEEDED, "notebook quota exhausted: "
                + used + " of " + limit + " NOTEBOOK instances in use");
    }

    /**
     * Members act on their own instances, project administrators on all of their project's. An id that is not
     * an instance of the project passes: the operation itself reports it as not found.
     */
    public java.util.Optional<Instance> authorize(Caller caller, String projectId, String id) {
        java.util.Optional<Instance> found = reads.instance(id).filter(i -> i.projectId().equals(projectId));
        found.ifPresent(i -> caller.requireOwnerOrAdministrator(projectId, i.ownerId(), "instance " + id));
        return found;
    }

    /** An instance by id in any project, for the notebook gateway, which authorizes by the instance's token. */
    public Instance gatewayInstance(String id) {
        return reads.instance(id).orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND,
                "instance " + id + " does not exist"));
    }

    /** An instance of the project, read from the store itself: what a read-modify-write starts from. */
    public Instance show(String projectId, String id) {
        return store.get(id).filter(i -> i.projectId().equals(projectId))
                .orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND, "instance " + id + " does not exist"));
    }

    /** Whose instances a list shows. */
    public enum Scope {
        /** The caller's own (or, for a project administrator, those of the owner the query names). */
        OWN,
        /** The whole project for its administrators; a member's own for a member. */
        PROJECT
    }

    /**
     * A page of the project's instances: {@code query} narrows it, and the scope and the caller's role decide whose
     * instances it may show. A member asking for another user's instances is refused.
     */
    public InstancePage list(Caller caller, String projectId, Scope scope, InstanceQuery.Builder query) {
        String owner = query.owner() != null ? query.owner() : scope == Scope.OWN ? caller.userId() : null;
        if (!caller.administers(projectId)) {
            if (owner != null && !owner.equals(caller.userId())) {
                throw new AtelierException(ErrorCode.FORBIDDEN, "only the project's administrators may list "
                        + "another user's instances");
            }
            owner = caller.userId();
        }
        return store.list(query.project(projectId).owner(owner).build());
    }

    /** Records that the instance is to be deleted; returns it with status DELETING. */
    public Instance delete(Caller caller, String projectId, String id) {
        return delete(caller, projectId, id, Transitions.Operation.DELETE);
    }

    /** Deletes under the legacy API's rule: a running or starting instance must be stopped first. */
    public Instance deleteStopped(Caller caller, String projectId, String id) {
        return delete(caller, projectId, id, Transitions.Operation.DELETE_STOPPED);
    }

    private Instance delete(Caller caller, String projectId, String id, Transitions.Operation op) {
        return mutate(caller, projectId, id, op,
                i -> i.withDesired(DesiredState.DELETED, caller.requestId(), InstanceStatus.DELETING));
    }

    /**
     * Records that the instance is to run again; returns it with status STARTING and a new token. The auto-stop
     * countdown restarts with {@code durationMs} (null: one hour; -1: no auto stop) of type {@code leaseType}.
     */
    public Instance start(Caller caller, String projectId, String id, Long durationMs, String leaseType) {
        Lease requested = InstanceRequests.lease(durationMs, leaseType, 0);
        Instance before = show(projectId, id);
        if (!Pools.waits(before)) { // starting it again is refused by the transition table, not here
            catalog.flavor(before.flavorId()).ifPresent(f -> quotas.checkRoomFor(projectId, before.ownerId(), f));
            pools.checkQueueRoom(before.ownerId(), before.poolId());
        }
        long now = clock.millis();
        return mutate(caller, projectId, id, Transitions.Operation.START, i -> i
                .withDesired(DesiredState.RUNNING, caller.requestId(), InstanceStatus.STARTING)
                .withStatus(InstanceStatus.STARTING, Progress.waiting(), null)
                .withToken(newToken())
                .withLease(i.lease().requesting(requested).restartedAt(now)));
    }

    /**
     * Records that the instance is to stop; returns it with status STOPPING. One that waits in its pool's queue for
     * its first run may be stopped too: that takes it out of the queue.
     */
    public Instance stop(Caller caller, String projectId, String id) {
        long now = clock.millis();
        Instance before = show(projectId, id);
        boolean waiting = Pools.waits(before) && before.runtimeState().isEmpty();
        return mutate(caller, projectId, id, waiting ? Transitions.Operation.STOP_WAITING : Transitions.Operation.STOP, i -> i
                .withDesired(DesiredState.STOPPED, caller.requestId(), InstanceStatus.STOPPING)
                .withStatus(InstanceStatus.STOPPING, i.progress(), null)
                .withLease(i.lease().restartedAt(now)));
    }

    /** Restarts the auto-stop countdown of a running instance: the new deadline is now + duration. */
    public Lease renewLease(Caller caller, String projectId, String id, Long durationMs, String leaseType) {
        Lease requested = InstanceRequests.lease(durationMs, leaseType, 0);
        long now = clock.millis();
        return mutate(caller, projectId, id, Transitions.Operation.RENEW_LEASE,
                i -> i.withLease(i.lease().requesting(requested).restartedAt(now))).lease();
    }

    /** A user's quota of a feature and how much of it is used. */
    public record Quota(Feature feature, int limit, long used) {
    }

    public Quota quota(String projectId, String userId, String feature) {
        Feature f = feature == null ? Feature.NOTEBOOK : Feature.parse(feature).orElseThrow(() ->
                new AtelierException(ErrorCode.INVALID_PARAMETER, "feature must be NOTEBOOK or DEFAULT"));
        return new Quota(f, quotaLimit(f), store.countOwned(projectId, userId, f));
    }

    private int quotaLimit(Feature feature) {
        return switch (feature) {
            case DEFAULT -> 1;
            case NOTEBOOK -> notebookQuota;
        };
    }

    /** Sets tags on an instance (an existing key gets the new value); at most 20 per instance. */
    public void tag(String projectId, String id, Map<String, String> tags) {
        Instance i = show(projectId, id);
        tags.forEach(InstanceRequests::tag);
        Map<String, String> merged = new java.util.HashMap<>(store.tags(java.util.List.of(i.id())).getOrDefault(i.id(),
                Map.of()));
        merged.putAll(tags);
        if (merged.size() > MAX_TAGS) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "an instance can have at most " + MAX_TAGS + " tags");
        }
        store.putTags(i.id(), tags);
    }

    /** Removes tags by key (and value, where given); unknown keys are ignored. */
    public void untag(String projectId, String id, Map<String, String> keysAndOptionalValues) {
        store.removeTags(show(projectId, id).id(), keysAndOptionalValues);
    }

    public Map<String, java.util.List<String>> projectTags(String projectId, String workspaceId) {
        return store.projectTags(projectId, WorkspaceId.check(workspaceId, ErrorCode.INVALID_PARAMETER));
    }

    /**
     * Starts saving a running instance as a new private image (reference §2.13): the image is returned in
     * status INIT and the instance goes SNAPSHOTTING until the reconciler has saved it.
     */
    public dev.atelier.core.model.Image saveImage(Caller caller, String projectId, String id, String name,
                                                  String namespace,
                                                  String tag, String description, String workspaceId) {
        Instance current = show(projectId, id);
        Transitions.check(Transitions.Operation.CREATE_IMAGE, current);
        var source = images.find(current.imageId()).orElseThrow(() -> new AtelierException(ErrorCode.IMAGE_NOT_FOUND,
                "the image of instance " + id + " no longer exists"));
        var image = images.beginSave(projectId, source, current.id(), name, namespace, tag, description, workspaceId);
        try {
            mutate(caller, projectId, id, Transitions.Operation.CREATE_IMAGE,
                    i -> i.withStatus(InstanceStatus.SNAPSHOTTING, i.progress(), null));
        } catch (AtelierException e) {
            images.abandonSave(image, "the instance changed before saving began: " + e.getMessage());
            throw e;
        }
        return image;
    }

    /**
     * Changes what the user may change (reference §2.5, and auto stop as the legacy API sets it), in one write; each
     * field is checked against the instance's status.
     */
    public Instance update(Caller caller, String projectId, String id, UpdateInstance req) {
        String name = req.name() == null ? null : InstanceRequests.name(req.name());
        String description = req.description() == null ? null : InstanceRequests.description(req.description());
        Flavor newFlavor = req.flavorId() == null ? null : asked.flavor(projectId, req.flavorId());
        String newImage = req.imageId() == null ? null : asked.image(projectId, req.imageId()).id();
        if (req.autoStopMs() != null) {
            InstanceRequests.lease(req.autoStopMs(), LeaseType.TIMING.name(), 0);
        }
        if (req.endpointsGiven()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "endpoints can only be set when the instance is created; create a new instance for another "
                            + "SSH endpoint");
        }
        Instance current = show(projectId, id);
        Transitions.Operation op = newFlavor != null || newImage != null ? Transitions.Operation.UPDATE_SPEC
                : req.storageNewSizeGb() != null ? Transitions.Operation.RESIZE_VOLUME
                : Transitions.Operation.UPDATE_DESCRIPTION;
        if (newFlavor != null && req.storageNewSizeGb() != null) {
            Transitions.check(Transitions.Operation.RESIZE_VOLUME, current);
        }
        return mutate(caller, projectId, id, op, i -> {
            Flavor target = newFlavor != null ? newFlavor : catalog.flavor(i.flavorId()).orElse(null);
            if (newFlavor != null && !switchable(i, newFlavor)) {
                throw new AtelierException(ErrorCode.FLAVOR_NOT_SWITCHABLE, "instance " + id
                        + " cannot switch to flavor " + newFlavor.id() + ": see GET .../notebooks/" + id + "/flavors");
            }
            Volume volume = i.volume();
            if (req.storageNewSizeGb() != null) {
                int size = req.storageNewSizeGb();
                int max = target == null ? MAX_EVS_GB : target.evsMaxSizeGb();
                if (size < volume.capacityGb() || size > max) {
                    throw new AtelierException(ErrorCode.EVS_SIZE_OUT_OF_RANGE, "storage_new_size must be between "
                            + volume.capacityGb() + " (the current size; volumes only grow) and " + max + " GB");
                }
                volume = new Volume(volume.category(), volume.ownership(), size);
            }
            Instance changed = i.withSpec(name != null ? name : i.name(),
                    description != null ? description : i.description(),
                    newFlavor != null ? newFlavor.id() : i.flavorId(), newImage != null ? newImage : i.imageId(),
                    volume);
            return req.autoStopMs() == null ? changed
                    : changed.withLease(changed.lease().withAutoStop(req.autoStopMs(), clock.millis()));
        });
    }

    /** The flavors an instance may switch to: same feature and category as its own, on the same architecture. */
    public java.util.List<Flavor> switchableFlavors(String projectId, String id) {
        Instance i = show(projectId, id);
        return catalog.flavors().stream().filter(f -> switchable(i, f)).toList();
    }

    private boolean switchable(Instance i, Flavor target) {
        Flavor own = catalog.flavor(i.flavorId()).orElse(null);
        boolean alike = own == null ? target.feature().equals(i.feature())
                : target.feature().equals(own.feature()) && target.category().equals(own.category())
                && target.arch().equals(own.arch());
        return alike && pools.sells(i.poolId(), target); // its pool must offer it and could hold it
    }

    /**
     * Applies {@code change} to the current record if {@code op} is legal in its status, retrying on a
     * concurrent write, and tells the reconciler.
     */
    Instance mutate(Caller caller, String projectId, String id, Transitions.Operation op,
                    UnaryOperator<Instance> change) {
        while (true) {
            Instance current = show(projectId, id);
            Transitions.check(op, current);
            Instance next = change.apply(current);
            long now = clock.millis();
            var written = store.update(next, now, History.between(current, next,
                    Cause.person(caller.userId(), caller.userName(), current.ownerId(), caller.requestId()), now));
            if (written.isPresent()) {
                onChange.accept(current.id());
                return written.get();
            }
        }
    }

    static String newToken() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
