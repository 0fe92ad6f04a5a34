package dev.atelier.core.service;

/** The query of a notebook list as the client sent it (reference §2.2); null means "not given". */
public record ListInstances(String name, String status, String feature, String owner, String poolId,
                            String workspaceId, String flavor, String imageId, String id, String sortKey,
                            String sortDir, int offset, int limit) {
}
