package dev.atelier.core.auth;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import java.util.Set;

/** An authenticated user and the projects they belong to. */
public record Caller(String userId, String accessKey, Set<String> projects) {

    public void requireProject(String projectId) {
        if (!projects.contains(projectId)) {
            throw new AtelierException(ErrorCode.PROJECT_FORBIDDEN,
                    "project " + projectId + " is not a project of the caller");
        }
    }
}
