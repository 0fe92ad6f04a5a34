package dev.atelier.core.model;

import java.util.Map;

/**
 * A notebook instance, in three parts as a Kubernetes object has them: {@link Metadata} (identity, ownership and
 * bookkeeping, fixed at create but for the bookkeeping), {@link Spec} (what the user asked for, including the
 * {@link DesiredState}) and {@link Observed} (the status: what the reconciler saw and did). The accessors below
 * read through to the part that holds each field; the withers change one part and keep the others.
 * {@code version} increases with every write; writes compare it.
 */
public record Instance(Metadata metadata, Spec spec, Observed observed) {
    /** The runtime state's key for a server credential that is not the instance token: see {@link #serverToken}. */
    public static final String SERVER_TOKEN = "server_token";

    /**
     * Who and what the instance is; {@code updateAt} and {@code version} change with every write. {@code poolId}:
     * the dedicated pool it runs in, or null for the public one.
     */
    public record Metadata(String id, String projectId, String ownerId, String workspaceId, Feature feature,
                           long createAt, long updateAt, long version, String poolId) {

        /** An instance of the public pool. */
        public Metadata(String id, String projectId, String ownerId, String workspaceId, Feature feature,
                        long createAt, long updateAt, long version) {
            this(id, projectId, ownerId, workspaceId, feature, createAt, updateAt, version, null);
        }
    }

    /**
     * What the user asked for. {@code requestId}: the API request that asked for the {@code desired} state (its
     * request id, as the response's {@code X-Request-Id} and the audit log name it), or null where the service itself
     * set it (a lease, the idle culler) or no request is known; runtimes label what they launch with it.
     */
    public record Spec(String name, String description, String flavorId, String imageId, Volume volume, Lease lease,
                       DesiredState desired, String requestId) {

        public Spec(String name, String description, String flavorId, String imageId, Volume volume, Lease lease,
                    DesiredState desired) {
            this(name, description, flavorId, imageId, volume, lease, desired, null);
        }

        public Spec withLease(Lease newLease) {
            return new Spec(name, description, flavorId, imageId, volume, newLease, desired, requestId);
        }

        public Spec withDesired(DesiredState newDesired, String byRequest) {
            return new Spec(name, description, flavorId, imageId, volume, lease, newDesired, byRequest);
        }
    }

    /**
     * What was observed and done: the status and its progress steps, why it failed, the running server's token and
     * address, and {@code runtimeState}, the runtime's own record of the server (opaque to the core).
     */
    public record Observed(InstanceStatus status, Progress progress, String failReason, String token, String url,
                           Map<String, String> runtimeState) {

        public Observed {
            runtimeState = runtimeState == null ? Map.of() : Map.copyOf(runtimeState);
        }

        /** A new instance's: waiting to be created, with its first token. */
        public static Observed creating(String token) {
            return new Observed(InstanceStatus.CREATING, Progress.waiting(), null, token, null, Map.of());
        }
    }

    public String id() {
        return metadata.id();
    }

    public String projectId() {
        return metadata.projectId();
    }

    public String ownerId() {
        return metadata.ownerId();
    }

    public String workspaceId() {
        return metadata.workspaceId();
    }

    public Feature feature() {
        return metadata.feature();
    }

    /** The dedicated pool the instance runs in; null: the public pool. */
    public String poolId() {
        return metadata.poolId();
    }

    public long createAt() {
        return metadata.createAt();
    }

    public long updateAt() {
        return metadata.updateAt();
    }

    public long version() {
        return metadata.version();
    }

    public String name() {
        return spec.name();
    }

    public String description() {
        return spec.description();
    }

    public String flavorId() {
        return spec.flavorId();
    }

    public String imageId() {
        return spec.imageId();
    }

    public Volume volume() {
        return spec.volume();
    }

    public Lease lease() {
        return spec.lease();
    }

    public DesiredState desired() {
        return spec.desired();
    }

    /** The API request that asked for the desired state, or null (see {@link Spec}). */
    public String requestId() {
        return spec.requestId();
    }

    public InstanceStatus status() {
        return observed.status();
    }

    public Progress progress() {
        return observed.progress();
    }

    public String failReason() {
        return observed.failReason();
    }

    public String token() {
        return observed.token();
    }

    /**
     * The credential the notebook server itself accepts: the instance token, unless the runtime started the server
     * with one of its own (a server started ahead of demand), which it names in its state under
     * {@link #SERVER_TOKEN}. Only Atelier's gateway and health checks use it; users never see it.
     */
    public String serverToken() {
        return observed.runtimeState().getOrDefault(SERVER_TOKEN, observed.token());
    }

    public String url() {
        return observed.url();
    }

    public Map<String, String> runtimeState() {
        return observed.runtimeState();
    }

    /**
     * {@code d} is wanted, asked for by the API request {@code requestId} (null: by the service itself); the status
     * says at once that it is under way.
     */
    public Instance withDesired(DesiredState d, String requestId, InstanceStatus s) {
        return new Instance(metadata, spec.withDesired(d, requestId), new Observed(s, observed.progress(), observed.failReason(),
                observed.token(), observed.url(), observed.runtimeState()));
    }

    public Instance withStatus(InstanceStatus s, Progress p, String reason) {
        return new Instance(metadata, spec, new Observed(s, p, reason, observed.token(), observed.url(),
                observed.runtimeState()));
    }

    public Instance withProgress(Progress p) {
        return withStatus(status(), p, failReason());
    }

    public Instance withRuntime(Map<String, String> state, String newUrl) {
        return new Instance(metadata, spec, new Observed(observed.status(), observed.progress(), observed.failReason(),
                observed.token(), newUrl, state));
    }

    public Instance withToken(String newToken) {
        return new Instance(metadata, spec, new Observed(observed.status(), observed.progress(), observed.failReason(),
                newToken, observed.url(), observed.runtimeState()));
    }

    /** The user's changes to what they may change (reference §2.5); the lease and desired state stay. */
    public Instance withSpec(String newName, String newDescription, String newFlavorId, String newImageId,
                             Volume newVolume) {
        return new Instance(metadata, new Spec(newName, newDescription, newFlavorId, newImageId, newVolume,
                spec.lease(), spec.desired(), spec.requestId()), observed);
    }

    public Instance withLease(Lease l) {
        return new Instance(metadata, spec.withLease(l), observed);
    }

    /** The bookkeeping of a write: when, and the version it made. */
    public Instance withUpdate(long updatedAt, long newVersion) {
        return new Instance(new Metadata(metadata.id(), metadata.projectId(), metadata.ownerId(),
                metadata.workspaceId(), metadata.feature(), metadata.createAt(), updatedAt, newVersion, metadata.poolId()),
                spec, observed);
    }

    /** True when the two differ in anything but the bookkeeping fields (update time, version). */
    public boolean differsFrom(Instance other) {
        return !spec.equals(other.spec) || !observed.equals(other.observed)
                || !withUpdate(0, 0).metadata.equals(other.withUpdate(0, 0).metadata);
    }
}
