package dev.atelier.core.port;

import dev.atelier.core.model.Workspace;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Workspaces and their quotas. A quota of {@code -1} (or none stored) is no limit. */
public interface WorkspaceStore {

    /** Stores a new workspace; false when the project already has one of that name. */
    boolean create(Workspace workspace);

    Optional<Workspace> get(String projectId, String id);

    List<Workspace> list(String projectId);

    /** The quotas set on a workspace (the default one included), by resource. */
    Map<String, Quota> quotas(String projectId, String workspaceId);

    void setQuota(String projectId, String workspaceId, String resource, long limit, long now);

    /** A limit ({@code -1}: none) and when it was last set. */
    record Quota(long limit, long updateTime) {
    }
}
