package dev.atelier.core.model;

import java.util.Map;

/**
 * A notebook instance: its spec (what the user asked for, including {@link #desired}) and its status (what
 * the reconciler observed and did). {@code runtimeState} is the runtime's own record of the running server,
 * opaque to the core. {@code version} increases with every write; writes compare it.
 */
public record Instance(
        String id, String projectId, String ownerId, String workspaceId,
        String name, String description, String feature, String flavorId, String imageId,
        Volume volume, Lease lease,
        DesiredState desired, InstanceStatus status, Progress progress, String failReason,
        String token, String url, Map<String, String> runtimeState,
        long createAt, long updateAt, long version) {

    public Instance {
        runtimeState = runtimeState == null ? Map.of() : Map.copyOf(runtimeState);
    }

    public Instance withDesired(DesiredState d, InstanceStatus s) {
        return new Instance(id, projectId, ownerId, workspaceId, name, description, feature, flavorId, imageId,
                volume, lease, d, s, progress, failReason, token, url, runtimeState, createAt, updateAt, version);
    }

    public Instance withStatus(InstanceStatus s, Progress p, String reason) {
        return new Instance(id, projectId, ownerId, workspaceId, name, description, feature, flavorId, imageId,
                volume, lease, desired, s, p, reason, token, url, runtimeState, createAt, updateAt, version);
    }

    public Instance withProgress(Progress p) {
        return withStatus(status, p, failReason);
    }

    public Instance withRuntime(Map<String, String> state, String newUrl) {
        return new Instance(id, projectId, ownerId, workspaceId, name, description, feature, flavorId, imageId,
                volume, lease, desired, status, progress, failReason, token, newUrl, state, createAt, updateAt, version);
    }

    public Instance withSpec(String newName, String newDescription, String newFlavorId, String newImageId,
                             Volume newVolume) {
        return new Instance(id, projectId, ownerId, workspaceId, newName, newDescription, feature, newFlavorId,
                newImageId, newVolume, lease, desired, status, progress, failReason, token, url, runtimeState,
                createAt, updateAt, version);
    }

    public Instance withToken(String newToken) {
        return new Instance(id, projectId, ownerId, workspaceId, name, description, feature, flavorId, imageId,
                volume, lease, desired, status, progress, failReason, newToken, url, runtimeState, createAt, updateAt,
                version);
    }

    public Instance withLease(Lease l) {
        return new Instance(id, projectId, ownerId, workspaceId, name, description, feature, flavorId, imageId,
                volume, l, desired, status, progress, failReason, token, url, runtimeState, createAt, updateAt, version);
    }

    public Instance withUpdate(long updatedAt, long newVersion) {
        return new Instance(id, projectId, ownerId, workspaceId, name, description, feature, flavorId, imageId,
                volume, lease, desired, status, progress, failReason, token, url, runtimeState, createAt, updatedAt,
                newVersion);
    }

    /** True when the two differ in anything but the bookkeeping fields (update time, version). */
    public boolean differsFrom(Instance other) {
        return !withUpdate(0, 0).equals(other.withUpdate(0, 0));
    }
}
