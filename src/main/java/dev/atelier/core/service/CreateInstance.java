package dev.atelier.core.service;

/**
 * A create request after the HTTP adapter has checked JSON types. Business rules are checked by
 * {@link InstanceService#create}. Null means "not given".
 */
public record CreateInstance(String name, String description, String feature, String flavorId, String imageId,
                             String workspaceId, boolean volumeGiven, String volumeCategory, String volumeOwnership,
                             Integer capacityGb, Long durationMs, String leaseType, String poolId,
                             dev.atelier.core.port.KeyPairStore.SshEndpoint ssh, boolean uniqueName) {
}
