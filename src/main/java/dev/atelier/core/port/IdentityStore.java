package dev.atelier.core.port;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Users, projects, memberships, access keys and sign-in tokens. Secrets are never stored in clear: access-key
 * secrets are sealed (see {@code SecretBox}), passwords are KDF hashes, tokens are stored as SHA-256 hashes.
 */
public interface IdentityStore {

    boolean hasUsers();

    void createUser(String id, String name, long now);

    Optional<User> user(String idOrName);

    List<User> users();

    void setPassword(String userId, String passwordHash);

    void setEnabled(String userId, boolean enabled);

    void setServiceAdmin(String userId, boolean serviceAdmin);

    /**
     * Removes the user with their memberships, access keys and tokens; with {@code keepAdministrators}, refused with
     * {@link LastAdministrator} (nothing changed) when a project they administer would be left without an enabled
     * administrator, in one step as above.
     */
    void deleteUser(String userId, boolean keepAdministrators);

    void createProject(String id, String name, long now);

    Optional<Project> project(String idOrName);

    List<Project> projects();

    /** Removes the project and its memberships. */
    void deleteProject(String projectId);

    /** Adds the user to the project, or changes their role there. */
    default void addMember(String projectId, String userId, String role) {
        addMember(projectId, userId, role, false);
    }

    /**
     * Adds the user to the project, or changes their role there; with {@code keepAdministrator}, a change that takes
     * an administrator's role away is refused with {@link LastAdministrator} (nothing changed) when the project would
     * be left without an enabled administrator. The role it had, the check and the change are one step: two
     * changes at the same moment cannot both pass it.
     */
    void addMember(String projectId, String userId, String role, boolean keepAdministrator);

    /** Removes the membership and its tokens; false when there was none. {@code keepAdministrator} as above. */
    boolean removeMember(String projectId, String userId, boolean keepAdministrator);

    /**
     * A change refused because it would leave {@code projectId} without an enabled administrator: nobody but the
     * service administrator could manage its members after it.
     */
    final class LastAdministrator extends RuntimeException {
        private final String projectId;

        public LastAdministrator(String projectId) {
            super("project " + projectId + " would be left without an administrator", null, false, false);
            this.projectId = projectId;
        }

        public String projectId() {
            return projectId;
        }
    }

    List<Member> members(String projectId);

    /** The user's role in each of their projects. */
    Map<String, String> rolesOf(String userId);

    void createAccessKey(String accessKey, String userId, String sealedSecret, String description, long now);

    default void createAccessKey(String accessKey, String userId, String sealedSecret, long now) {
        createAccessKey(accessKey, userId, sealedSecret, "", now);
    }

    Optional<AccessKeyRecord> findAccessKey(String accessKey);

    List<AccessKeyRecord> accessKeysOf(String userId);

    void setAccessKeyEnabled(String accessKey, boolean enabled);

    void deleteAccessKey(String accessKey);

    void createToken(String tokenHash, String userId, String projectId, long issuedAt, long expiresAt);

    /** Removes one token (signing out): from the next request on, it stands for nobody. */
    void deleteToken(String tokenHash);

    /**
     * Removes every token of the user that is still valid at {@code now} but {@code keptTokenHash} (null: every
     * one): the user is signed out everywhere else, from the next request on. Expired ones stay until they are
     * cleared, and are refused as expired.
     */
    void deleteTokensOf(String userId, String keptTokenHash, long now);

    /** Removes tokens that expired before {@code now}; returns how many. */
    int deleteExpiredTokens(long now);

    /** An access key with its user and the user's roles, in one read (every signed request needs all three). */
    Optional<Principal<AccessKeyRecord>> byAccessKey(String accessKey);

    /** A token with its user and the user's roles, in one read. */
    Optional<Principal<TokenRecord>> byToken(String tokenHash);

    /** What a credential stands for: {@code roles} maps each of the user's projects to their role there. */
    record Principal<C>(C credential, User user, Map<String, String> roles) {
    }

    default Optional<String> userName(String userId) {
        return user(userId).map(User::name);
    }

    /** The names of the users of {@code userIds} that exist, by id, in one read. */
    Map<String, String> userNames(java.util.Collection<String> userIds);

    record User(String id, String name, String passwordHash, boolean serviceAdmin, boolean enabled,
                long createdAt) {
    }

    record Project(String id, String name, long createdAt) {
    }

    record Member(String projectId, String userId, String userName, String role) {
    }

    record AccessKeyRecord(String accessKey, String userId, String sealedSecret, boolean enabled,
                           String description, long createdAt) {
    }

    record TokenRecord(String userId, String projectId, long issuedAt, long expiresAt) {
    }
}
