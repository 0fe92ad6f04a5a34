package dev.atelier.core.port;

import java.util.Optional;
import java.util.Set;

/** Users, projects and access keys. Secrets are stored sealed (see {@code SecretBox}), never in clear. */
public interface IdentityStore {

    boolean hasUsers();

    void createUser(String id, String name, long now);

    void createProject(String id, String name, long now);

    void addMember(String projectId, String userId, String role);

    void createAccessKey(String accessKey, String userId, String sealedSecret, long now);

    Optional<AccessKeyRecord> findAccessKey(String accessKey);

    Set<String> projectsOf(String userId);

    Optional<String> userName(String userId);

    record AccessKeyRecord(String accessKey, String userId, String sealedSecret, boolean enabled) {
    }
}
