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
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * The use cases on instances. The API only records what the user wants and returns; the {@link Reconciler}
 * makes it so.
 */
public final class InstanceService {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern FORBIDDEN_IN_DESCRIPTION = Pattern.compile("[&<>\"'/]");
    private static final int MIN_EVS_GB = 5;
    /** The volume a create gets where it names no capacity. */
    public static final int DEFAULT_EVS_GB = 5;
    private static final int MAX_EVS_GB = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How many NOTEBOOK instances one user may have unless the operator says otherwise. */
    public static final int DEFAULT_NOTEBOOK_QUOTA = 100;
    private static final int MAX_TAGS = 20;
    private static final Pattern TAG_KEY = Pattern.compile("[\\p{L}\\p{N}_.:=+\\-@]([\\p{L}\\p{N} _.:=+\\-@]{0,126}"
            + "[\\p{L}\\p{N}_.:=+\\-@])?");
    private static final Pattern TAG_VALUE = Pattern.compile("[\\p{L}\\p{N} _.:=+\\-@/]{0,255}");

    private final InstanceStore store;
    private final InstanceReads reads;
    private final Catalog catalog;
    private final Pools pools;
    private final WorkspaceService workspaces;
    private final Quotas quotas;
    private final ImageService images;
    private final Clock clock;
    private final int notebookQuota;
    private volatile java.util.function.Consumer<String> onChange = id -> { };
    private volatile dev.atelier.core.port.WarmStarts warm = dev.atelier.core.port.WarmStarts.NONE;

    /**
     * {@code reads}: what shows and authorization checks read instances from (it may answer from memory); every
     * read that leads to a write goes to {@code store}.
     */
    /** What limits creates and starts besides the per-user count: pools and their queues, workspaces, quotas. */
    public record Limits(Pools pools, WorkspaceService workspaces, Quotas quotas) {
    }

    public InstanceService(InstanceStore store, InstanceReads reads, Catalog catalog, Limits limits,
                           ImageService images, Clock clock, int notebookQuota) {
        this.store = store;
        this.reads = reads;
        this.catalog = catalog;
        this.pools = limits.pools();
        this.workspaces = limits.workspaces();
        this.quotas = limits.quotas();
        this.images = images;
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
        String name = checkName(required(req.name(), "name"));
        String description = checkDescription(req.description() == null ? "" : req.description());
        Feature feature = req.feature() == null ? Feature.NOTEBOOK : Feature.parse(req.feature()).orElseThrow(() ->
                new AtelierException(ErrorCode.INVALID_VALUE, "feature must be NOTEBOOK or DEFAULT"));
        Flavor flavor = flavor(projectId, required(req.flavorId(), "flavor"));
        if (!flavor.feature().equals(feature)) {
            throw new AtelierException(ErrorCode.FLAVOR_FEATURE_MISMATCH,
                    "flavor " + flavor.id() + " is for feature " + flavor.feature() + ", not " + feature);
        }
        Image image = image(projectId, required(req.imageId(), "image_id"));
        String imageId = image.id();
        String workspaceId = WorkspaceId.check(req.workspaceId(), ErrorCode.INVALID_VALUE);
        long workspaceLimit = workspaces.notebookLimit(projectId, workspaceId);
        String poolId = pools.forCreate(projectId, req.poolId(), flavor);
        quotas.checkRoomFor(projectId, caller.userId(), flavor);
        pools.checkQueueRoom(caller.userId(), poolId);
        Volume volume = volume(req, flavor);
        Lease lease = lease(req.durationMs(), req.leaseType(), clock.millis());
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
        Lease requested = lease(durationMs, leaseType, 0);
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
        Lease requested = lease(durationMs, leaseType, 0);
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
        tags.forEach(InstanceService::checkTag);
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

    private static void checkTag(String key, String value) {
        if (key == null || !TAG_KEY.matcher(key).matches() || key.startsWith("_sys_")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "tag key '" + key + "' must be 1 to 128 letters, "
                    + "digits, spaces and _ . : = + - @, not start or end with a space, and not start with _sys_");
        }
        if (value == null || !TAG_VALUE.matcher(value).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "tag value of '" + key + "' must be at most 255 "
                    + "letters, digits, spaces and _ . : = + - @ /");
        }
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
        String name = req.name() == null ? null : checkName(req.name());
        String description = req.description() == null ? null : checkDescription(req.description());
        Flavor newFlavor = req.flavorId() == null ? null : flavor(projectId, req.flavorId());
        String newImage = req.imageId() == null ? null : image(projectId, req.imageId()).id();
        if (req.autoStopMs() != null) {
            lease(req.autoStopMs(), LeaseType.TIMING.name(), 0);
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

    private Volume volume(CreateInstance req, Flavor flavor) {
        if (!req.volumeGiven()) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "volume is required");
        }
        String category = upper(required(req.volumeCategory(), "volume.category"), null);
        if (!category.equals("EVS")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "volume.category " + category
                    + " is not supported by this server; use EVS");
        }
        String ownership = upper(required(req.volumeOwnership(), "volume.ownership"), null);
        if (!ownership.equals("MANAGED")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "volume.ownership must be MANAGED for EVS volumes");
        }
        int capacity = req.capacityGb() == null ? DEFAULT_EVS_GB : req.capacityGb();
        if (capacity < MIN_EVS_GB || capacity > flavor.evsMaxSizeGb()) {
            throw new AtelierException(ErrorCode.EVS_SIZE_OUT_OF_RANGE, "volume.capacity must be between "
                    + MIN_EVS_GB + " and " + flavor.evsMaxSizeGb() + " GB");
        }
        return new Volume(category, ownership, capacity);
    }

    /** A lease as the user asked for it (validated); its countdown starts when the instance runs. */
    private static Lease lease(Long duration, String leaseType, long now) {
        LeaseType type = leaseType == null ? LeaseType.TIMING : LeaseType.parse(leaseType).orElseThrow(() ->
                new AtelierException(ErrorCode.INVALID_VALUE, "lease.type must be timing or idle"));
        if (duration != null && duration != -1L && (duration < Lease.MIN_MS || duration > Lease.MAX_MS)) {
            throw new AtelierException(ErrorCode.DURATION_OUT_OF_RANGE,
                    "duration must be -1 (no auto stop) or between 3600000 and 259200000 ms");
        }
        return Lease.requested(now, duration, type);
    }

    private Flavor flavor(String projectId, String flavorId) {
        Flavor f = catalog.flavor(flavorId).orElseThrow(() -> new AtelierException(ErrorCode.FLAVOR_NOT_SUPPORTED,
                "flavor " + flavorId + " is not supported: see GET /v1/" + projectId + "/notebooks/flavors"));
        if (f.soldOut()) {
            throw new AtelierException(ErrorCode.FLAVOR_SOLD_OUT, "flavor " + flavorId + " is sold out: this server "
                    + "has no free " + f.category() + " resources for it");
        }
        return f;
    }

    private Image image(String projectId, String imageId) {
        var image = images.find(imageId).filter(i -> i.visibleTo(projectId)).orElseThrow(() -> new AtelierException(
                ErrorCode.IMAGE_NOT_FOUND, "image_id " + imageId + " does not name an image: see GET /v1/"
                + projectId + "/images"));
        if (image.status() != dev.atelier.core.model.ImageStatus.ACTIVE) {
            throw new AtelierException(ErrorCode.IMAGE_NOT_FOUND, "image " + imageId + " is " + image.status()
                    + (image.statusMessage() == null ? "" : ": " + image.statusMessage()) + "; only ACTIVE images "
                    + "can be used");
        }
        return image;
    }

    private static String checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "name must be 1 to 128 characters of letters, digits, '-' and '_'");
        }
        return name;
    }

    private static String checkDescription(String description) {
        if (description.length() > 512) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description must be at most 512 characters");
        }
        if (FORBIDDEN_IN_DESCRIPTION.matcher(description).find()) {
            throw new AtelierException(ErrorCode.ILLEGAL_CHARACTER,
                    "description must not contain any of & < > \" ' /");
        }
        return description;
    }

    private static String required(String value, String field) {
        if (value == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, field + " is required");
        }
        return value;
    }

    private static String upper(String value, String defaultValue) {
        return value == null ? defaultValue : value.toUpperCase(Locale.ROOT);
    }

    static String newToken() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
