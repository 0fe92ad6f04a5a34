package dev.atelier.core.model;

/** Storage attached to a running instance through the API (a dynamic mount, reference §2.12). */
public record Mount(String id, String instanceId, String category, String mountPath, String uri, MountStatus status,
                    String failureReason, long createAt, long updateAt) {

    public Mount withStatus(MountStatus newStatus, String reason, long now) {
        return new Mount(id, instanceId, category, mountPath, uri, newStatus, reason, createAt, now);
    }
}
