package dev.atelier.core.auth;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import java.util.Map;
import java.util.Set;

/**
 * An authenticated user: their role in each of their projects, whether they administer the whole service, the
 * credential they used (an access key, or "token"), and, for a token, the one project it is scoped to.
 */
public record Caller(String userId, String userName, String credential, boolean serviceAdmin,
                     Map<String, String> roles, String tokenProject, String requestId) {

    public static final String PROJECT_ADMIN = "admin";
    public static final String MEMBER = "member";

    public Caller {
        roles = Map.copyOf(roles);
    }

    /** A caller outside any request (commands run on the data dir, tests). */
    public Caller(String userId, String userName, String credential, boolean serviceAdmin, Map<String, String> roles,
                  String tokenProject) {
        this(userId, userName, credential, serviceAdmin, roles, tokenProject, null);
    }

    /** The same caller making request {@code id}: what it changes is traced to that request (its events). */
    public Caller inRequest(String id) {
        return new Caller(userId, userName, credential, serviceAdmin, roles, tokenProject, id);
    }

    public Set<String> projects() {
        return roles.keySet();
    }

    /**
     * The project in a request's path must be one the caller belongs to (any project for the service
     * administrator) and, with a token, the token's project.
     */
    public void requireProject(String projectId) {
        if (tokenProject != null && !tokenProject.equals(projectId)) {
            throw new AtelierException(ErrorCode.PROJECT_FORBIDDEN, "the token is scoped to project " + tokenProject
                    + ", not to project " + projectId);
        }
        if (!serviceAdmin && !roles.containsKey(projectId)) {
            throw new AtelierException(ErrorCode.PROJECT_FORBIDDEN,
                    "project " + projectId + " is not a project of the caller");
        }
    }

    /** The service administrator, or an administrator of this project. */
    public boolean administers(String projectId) {
        if (tokenProject != null && !tokenProject.equals(projectId)) {
            return false; // a token acts in its own project only, whoever holds it
        }
        return serviceAdmin || PROJECT_ADMIN.equals(roles.get(projectId));
    }

    /** Members act on what they own; project administrators on everything in their project. */
    public void requireOwnerOrAdministrator(String projectId, String ownerId, String what) {
        if (!userId.equals(ownerId) && !administers(projectId)) {
            throw new AtelierException(ErrorCode.FORBIDDEN, what + " belongs to another user; only its owner and "
                    + "the project's administrators may see or change it");
        }
    }

    public void requireProjectAdministrator(String projectId, String action) {
        if (!administers(projectId)) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "only an administrator of project " + projectId
                    + " may " + action);
        }
    }

    public void requireServiceAdministrator(String action) {
        if (!serviceAdmin) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "only a service administrator may " + action);
        }
    }
}
