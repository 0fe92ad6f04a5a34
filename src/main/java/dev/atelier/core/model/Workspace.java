package dev.atelier.core.model;

/**
 * A workspace of a project: a named part of it that instances are created in, with quotas of its own. The default
 * workspace ({@link WorkspaceId#DEFAULT}) of every project is not stored. Times in epoch ms.
 */
public record Workspace(String id, String projectId, String name, String description, String ownerId,
                        String authType, long createTime, long updateTime) {
}
