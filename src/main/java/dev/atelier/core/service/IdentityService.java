package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.auth.Passwords;
import dev.atelier.core.auth.SecretBox;
import dev.atelier.core.port.AuditStore;
import dev.atelier.core.port.AuditStore.AuditEvent;
import dev.atelier.core.port.AuditStore.AuditQuery;
import dev.atelier.core.port.IdentityStore;
import dev.atelier.core.port.IdentityStore.AccessKeyRecord;
import dev.atelier.core.port.IdentityStore.Member;
import dev.atelier.core.port.IdentityStore.Project;
import dev.atelier.core.port.IdentityStore.User;
import dev.atelier.core.port.InstanceStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Users, projects, memberships, access keys and the audit log (sign-ins are {@link SignIns}), each operation authorised
 * against its caller: the service administrator may do everything; a project administrator manages the
 * members of their project and reads its audit log; every user manages their own access keys and password.
 */
public final class IdentityService {
    public static final int MAX_KEYS_PER_USER = 10;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String AK_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SK_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final IdentityStore store;
    private final SecretBox secrets;
    private final InstanceStore instances;
    private final AuditStore audit;
    private final Clock clock;

    public IdentityService(IdentityStore store, SecretBox secrets, InstanceStore instances, AuditStore audit,
                           Clock clock) {
        this.store = store;
        this.secrets = secrets;
        this.instances = instances;
        this.audit = audit;
        this.clock = clock;
    }

    /** What first start creates: the service administrator, with a password, a project and an access key. */
    public record Bootstrapped(User user, Project project, String password, String accessKey, String secretKey) {
    }

    /** Creates the first administrator when the store has no users yet. */
    public java.util.Optional<Bootstrapped> bootstrap() {
        if (store.hasUsers()) {
            return java.util.Optional.empty();
        }
        long now = clock.millis();
        String userId = HexFormat.of().formatHex(randomBytes(16));
        String projectId = HexFormat.of().formatHex(randomBytes(16));
        String password = random(SK_CHARS, 24);
        store.createUser(userId, "admin", now);
        store.setPassword(userId, Passwords.hash(password));
        store.setServiceAdmin(userId, true);
        store.createProject(projectId, "default", now);
        store.addMember(projectId, userId, Caller.PROJECT_ADMIN);
        String ak = random(AK_CHARS, 20);
        String sk = random(SK_CHARS, 40);
        store.createAccessKey(ak, userId, secrets.seal(sk), "created at first start", now);
        return java.util.Optional.of(new Bootstrapped(store.user(userId).orElseThrow(),
                store.project(projectId).orElseThrow(), password, ak, sk));
    }

    // ---- users ---------------------------------------------------------------------------------------------

    public List<User> users(Caller caller) {
        caller.requireServiceAdministrator("list users");
        return store.users();
    }

    public User user(Caller caller, String user) {
        User u = existingUser(user);
        requireSelfOrServiceAdministrator(caller, u, "see another user");
        return u;
    }

    public User createUser(Caller caller, String name, String password, boolean serviceAdmin) {
        caller.requireServiceAdministrator("create users");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "name must be 1 to 64 letters, digits or _ . @ -, "
                    + "starting with a letter or digit");
        }
        if (store.user(name).isPresent()) {
            throw new AtelierException(ErrorCode.NAME_TAKEN, "a user named " + name + " exists");
        }
        String id = HexFormat.of().formatHex(randomBytes(16));
        store.createUser(id, name, clock.millis());
        if (password != null) {
            store.setPassword(id, Passwords.hash(checkedPassword(password)));
        }
        if (serviceAdmin) {
            store.setServiceAdmin(id, true);
        }
        return store.user(id).orElseThrow();
    }

    /** Enables or disables a user, changes their password, or grants/revokes service administration. */
    public User updateUser(Caller caller, String user, Boolean enabled, String password, Boolean serviceAdmin) {
        return updateUser(caller, user, enabled, password, serviceAdmin, null, null);
    }

    /**
     * As {@link #updateUser(Caller, String, Boolean, String, Boolean)}; users changing their own password must
     * give the current one (a stolen token or key must not be enough to take the account over).
     * {@code callersToken}: the token the caller signed in with, if any, which a change of their own password keeps;
     * every other token of the user is removed when the password changes or the user is disabled.
     */
    public User updateUser(Caller caller, String user, Boolean enabled, String password, Boolean serviceAdmin,
                           String currentPassword, String callersToken) {
        if (enabled != null || serviceAdmin != null) {
            caller.requireServiceAdministrator("enable, disable or promote users");
        }
        User u = existingUser(user);
        if (enabled != null || serviceAdmin != null) {
            if ((Boolean.FALSE.equals(enabled) || Boolean.FALSE.equals(serviceAdmin)) && u.serviceAdmin()
                    && lastServiceAdministrator(u)) {
                throw new AtelierException(ErrorCode.ILLEGAL_STATE, u.name() + " is the last enabled service "
                        + "administrator; make another one first");
            }
        }
        if (password != null) {
            requireSelfOrServiceAdministrator(caller, u, "change another user's password");
            boolean self = caller.userId().equals(u.id());
            if (self && u.passwordHash() != null && !Passwords.verify(currentPassword, u.passwordHash())) {
                throw new AtelierException(ErrorCode.FORBIDDEN, "changing your own password needs the current one "
                        + "(old_password)");
            }
            store.setPassword(u.id(), Passwords.hash(checkedPassword(password)));
            // whoever signed in with the old password is signed out; users changing their own keep the session
            // they changed it in
            store.deleteTokensOf(u.id(), self && callersToken != null ? Authenticator.tokenHash(callersToken) : null,
                    clock.millis());
        }
        if (enabled != null) {
            store.setEnabled(u.id(), enabled);
            if (!enabled) { // its sessions end for good: enabled again, the user signs in again
                store.deleteTokensOf(u.id(), null, clock.millis());
            }
        }
        if (serviceAdmin != null) {
            store.setServiceAdmin(u.id(), serviceAdmin);
        }
        return store.user(u.id()).orElseThrow();
    }

    public User deleteUser(Caller caller, String user) {
        caller.requireServiceAdministrator("delete users");
        User u = existingUser(user);
        if (u.serviceAdmin() && lastServiceAdministrator(u)) {
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, u.name() + " is the last enabled service "
                    + "administrator; make another one first");
        }
        Map<String, String> roles = store.rolesOf(u.id());
        for (String project : roles.keySet()) {
            long owned = instances.list(InstanceStore.InstanceQuery.in(project).owner(u.id()).page(0, 1).build()).total();
            if (owned > 0) {
                throw new AtelierException(ErrorCode.ILLEGAL_STATE, u.name() + " owns " + owned + " instance(s) in "
                        + "project " + project + ": delete them, or disable the user instead");
            }
        }
        keepingAdministrator(null, u, () -> store.deleteUser(u.id(), true));
        return u;
    }

    private boolean lastServiceAdministrator(User u) {
        return store.users().stream().filter(x -> x.serviceAdmin() && x.enabled() && !x.id().equals(u.id()))
                .findAny().isEmpty();
    }

    private static String checkedPassword(String password) {
        if (password.length() < Passwords.MIN_LENGTH || password.length() > 1024) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "a password must be " + Passwords.MIN_LENGTH
                    + " to 1024 characters long");
        }
        return password;
    }

    private User existingUser(String user) {
        return store.user(user).orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND,
                "user " + user + " does not exist"));
    }

    private static void requireSelfOrServiceAdministrator(Caller caller, User u, String action) {
        if (!caller.userId().equals(u.id())) {
            caller.requireServiceAdministrator(action);
        }
    }

    // ---- projects ------------------------------------------------------------------------------------------

    public List<Project> projects(Caller caller) {
        return store.projects().stream().filter(p -> caller.serviceAdmin() || caller.projects().contains(p.id()))
                .toList();
    }

    /** A user's name, for views that show who owns what; empty for a removed user. */
    public java.util.Optional<String> userName(String userId) {
        return store.userName(userId);
    }

    /** The names of users by id, in one read, for views that show who owns what. */
    public Map<String, String> userNames(java.util.Collection<String> userIds) {
        return store.userNames(userIds);
    }

    /** The id of the project of this id or name, if there is one; no authorisation (the audit log names it). */
    public java.util.Optional<String> projectId(String idOrName) {
        return idOrName == null || idOrName.isEmpty() ? java.util.Optional.empty()
                : store.project(idOrName).map(Project::id);
    }

    public boolean projectExists(String projectId) {
        return store.project(projectId).filter(p -> p.id().equals(projectId)).isPresent();
    }

    public Project project(Caller caller, String project) {
        Project p = existingProject(project);
        caller.requireProject(p.id());
        return p;
    }

    public Project createProject(Caller caller, String name) {
        caller.requireServiceAdministrator("create projects");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "name must be 1 to 64 letters, digits or _ . @ -, "
                    + "starting with a letter or digit");
        }
        if (store.projects().stream().anyMatch(p -> p.name().equals(name))) {
            throw new AtelierException(ErrorCode.NAME_TAKEN, "a project named " + name + " exists");
        }
        String id = HexFormat.of().formatHex(randomBytes(16));
        store.createProject(id, name, clock.millis());
        return store.project(id).orElseThrow();
    }

    public Project deleteProject(Caller caller, String project) {
        caller.requireServiceAdministrator("delete projects");
        Project p = existingProject(project);
        long left = instances.list(InstanceStore.InstanceQuery.all(p.id(), 0, 1)).total();
        if (left > 0) {
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, "project " + p.name() + " has " + left
                    + " instance(s): delete them first");
        }
        store.deleteProject(p.id());
        return p;
    }

    public List<Member> members(Caller caller, String project) {
        Project p = existingProject(project);
        caller.requireProjectAdministrator(p.id(), "list its members");
        return store.members(p.id());
    }

    public Member setMember(Caller caller, String project, String user, String role) {
        Project p = existingProject(project);
        caller.requireProjectAdministrator(p.id(), "change its members");
        if (!Caller.PROJECT_ADMIN.equals(role) && !Caller.MEMBER.equals(role)) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "role must be admin or member");
        }
        User u = existingUser(user);
        keepingAdministrator(p, u, () -> store.addMember(p.id(), u.id(), role, true));
        return new Member(p.id(), u.id(), u.name(), role);
    }

    public Member removeMember(Caller caller, String project, String user) {
        Project p = existingProject(project);
        caller.requireProjectAdministrator(p.id(), "change its members");
        User u = existingUser(user);
        String role = store.rolesOf(u.id()).get(p.id());
        if (role == null || !keepingAdministrator(p, u, () -> store.removeMember(p.id(), u.id(), true))) {
            throw new AtelierException(ErrorCode.NOT_FOUND, u.name() + " is not a member of project " + p.name());
        }
        return new Member(p.id(), u.id(), u.name(), role);
    }

    /**
     * A project keeps an enabled administrator: its last one is not demoted, removed or deleted (only the service
     * administrator could manage its members after that). The store checks it in the change's own transaction, so
     * that two administrators removing each other at the same moment cannot both succeed.
     */
    private <T> T keepingAdministrator(Project p, User u, java.util.function.Supplier<T> change) {
        try {
            return change.get();
        } catch (IdentityStore.LastAdministrator e) {
            String name = p != null ? p.name() : store.project(e.projectId()).map(Project::name).orElse(e.projectId());
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, u.name() + " is the last administrator of project "
                    + name + "; make another one first");
        }
    }

    private void keepingAdministrator(Project p, User u, Runnable change) {
        keepingAdministrator(p, u, () -> {
            change.run();
            return null;
        });
    }

    private Project existingProject(String project) {
        return store.project(project).orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND,
                "project " + project + " does not exist"));
    }

    // ---- access keys ---------------------------------------------------------------------------------------

    /** A new access key: the only time its secret is shown. */
    public record NewKey(AccessKeyRecord record, String secretKey) {
    }

    public List<AccessKeyRecord> keys(Caller caller, String user) {
        User u = existingUser(user);
        requireSelfOrServiceAdministrator(caller, u, "see another user's access keys");
        return store.accessKeysOf(u.id());
    }

    public NewKey createKey(Caller caller, String user, String description) {
        User u = existingUser(user);
        requireSelfOrServiceAdministrator(caller, u, "create access keys for another user");
        if (description != null && description.length() > 255) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description must be at most 255 characters");
        }
        if (store.accessKeysOf(u.id()).size() >= MAX_KEYS_PER_USER) {
            throw new AtelierException(ErrorCode.QUOTA_EXCEEDED, u.name() + " has " + MAX_KEYS_PER_USER
                    + " access keys already: delete one first");
        }
        String ak = random(AK_CHARS, 20);
        String sk = random(SK_CHARS, 40);
        store.createAccessKey(ak, u.id(), secrets.seal(sk), description == null ? "" : description, clock.millis());
        return new NewKey(store.findAccessKey(ak).orElseThrow(), sk);
    }

    public AccessKeyRecord setKeyEnabled(Caller caller, String user, String accessKey, boolean enabled) {
        AccessKeyRecord k = existingKey(caller, user, accessKey);
        store.setAccessKeyEnabled(k.accessKey(), enabled);
        return store.findAccessKey(k.accessKey()).orElseThrow();
    }

    public AccessKeyRecord deleteKey(Caller caller, String user, String accessKey) {
        AccessKeyRecord k = existingKey(caller, user, accessKey);
        store.deleteAccessKey(k.accessKey());
        return k;
    }

    private AccessKeyRecord existingKey(Caller caller, String user, String accessKey) {
        User u = existingUser(user);
        requireSelfOrServiceAdministrator(caller, u, "change another user's access keys");
        return store.findAccessKey(accessKey).filter(k -> k.userId().equals(u.id()))
                .orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND,
                        "user " + u.name() + " has no access key " + accessKey));
    }

    // ---- audit ---------------------------------------------------------------------------------------------

    public void record(AuditEvent event) {
        audit.record(event);
    }

    /**
     * The audit log, newest first: everything for the service administrator, the projects they administer for
     * a project administrator.
     */
    public List<AuditEvent> audit(Caller caller, String project, String user, Long since, Long until, int offset,
                                  int limit) {
        List<String> scope = null;
        if (!caller.serviceAdmin()) {
            scope = new ArrayList<>();
            for (Map.Entry<String, String> e : caller.roles().entrySet()) {
                if (Caller.PROJECT_ADMIN.equals(e.getValue())) {
                    scope.add(e.getKey());
                }
            }
            if (scope.isEmpty()) {
                throw new AtelierException(ErrorCode.FORBIDDEN,
                        "only service and project administrators may read the audit log");
            }
        }
        String projectId = project == null ? null : existingProject(project).id();
        if (projectId != null) {
            caller.requireProjectAdministrator(projectId, "read its audit log");
        }
        String userId = user == null ? null : store.user(user).map(User::id).orElse(user);
        return audit.query(new AuditQuery(scope, projectId, userId, since, until, offset, limit));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String random(String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
