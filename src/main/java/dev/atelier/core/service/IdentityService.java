package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.auth.Passwords;
import dev.atelier.core.auth.SecretBox;
import dev.atelier.core.auth.SignInLimiter;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Users, projects, memberships, access keys, sign-in tokens and the audit log, each operation authorised
 * against its caller: the service administrator may do everything; a project administrator manages the
 * members of their project and reads its audit log; every user manages their own access keys and password.
 */
public final class IdentityService {
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(24);
    public static final int MAX_KEYS_PER_USER = 10;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String AK_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SK_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final IdentityStore store;
    private final SecretBox secrets;
    private final InstanceStore instances;
    private final AuditStore audit;
    private final SignInLimiter limiter;
    private final Clock clock;

    public IdentityService(IdentityStore store, SecretBox secrets, InstanceStore instances, AuditStore audit,
                           SignInLimiter limiter, Clock clock) {
        this.store = store;
        this.secrets = secrets;
        this.instances = instances;
        this.audit = audit;
        this.limiter = limiter;
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

    // ---- sign-in -------------------------------------------------------------------------------------------

    public record IssuedToken(String token, User user, Project project, String role, long issuedAt,
                              long expiresAt) {
    }

    /**
     * Password sign-in scoped to one project (the user's id or name, the project's id or name), as IAM's
     * {@code POST /v3/auth/tokens}. The same answer for an unknown user and a wrong password, after the same work.
     */
    public IssuedToken signIn(String user, String password, String project, String address) {
        return signIn(user, password, project, address, false);
    }

    /**
     * As {@link #signIn(String, String, String, String)}; with {@code anyProject}, a sign-in that names no project
     * is scoped to the user's first project by name (the console asks for a project only of those who want one).
     */
    public IssuedToken signIn(String user, String password, String project, String address, boolean anyProject) {
        if (user == null || user.isBlank() || password == null) {
            throw new AtelierException(ErrorCode.INVALID_PAYLOAD,
                    "auth.identity.password.user needs a name (or id) and a password");
        }
        User known = store.user(user).orElse(null);
        // one count per account, by whichever name or id it is asked for
        String account = known != null ? known.id() : "name:" + user;
        limiter.requireNotLockedOut(account, address);
        // counted as a failure before the slow check, so that attempts in parallel cannot all pass the limit
        java.time.Duration holdFailure = limiter.failedSignIn(account, address);
        User found = known != null && known.enabled() ? known : null;
        boolean ok = Passwords.verify(password, found != null && found.passwordHash() != null ? found.passwordHash()
                : Passwords.decoy()) && found != null;
        if (!ok) {
            pause(holdFailure); // guesses from one address get slower, then refused
            throw new AtelierException(ErrorCode.SIGN_IN_FAILED, "the user name or password is wrong, or the user "
                    + "is disabled");
        }
        limiter.succeeded(account, address);
        if ((project == null || project.isBlank()) && anyProject) {
            project = firstProject(found);
            if (project == null) {
                throw new AtelierException(ErrorCode.SIGN_IN_FAILED, "the user has no role in any project");
            }
        }
        if (project == null || project.isBlank()) {
            throw new AtelierException(ErrorCode.TOKEN_NOT_SCOPED, "the token must be scoped to a project: "
                    + "give auth.scope.project.id or auth.scope.project.name");
        }
        Project p = store.project(project).orElse(null);
        String role = p == null ? null : store.rolesOf(found.id()).get(p.id());
        if (p == null || (role == null && !found.serviceAdmin())) {
            throw new AtelierException(ErrorCode.SIGN_IN_FAILED, "the user has no role in project " + project);
        }
        return issue(found, p, role, clock.millis() + TOKEN_LIFETIME.toMillis());
    }

    private IssuedToken issue(User user, Project p, String role, long expires) {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String token = "atl-" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        long now = clock.millis();
        store.deleteExpiredTokens(now);
        String hash = Authenticator.tokenHash(token);
        store.createToken(hash, user.id(), p.id(), now, expires);
        // a new password or a disabling that ended the user's sessions while this one was being issued (the
        // password check takes a while) must end it too: it removes tokens before, this check sees it after
        User again = store.user(user.id()).orElse(null);
        if (again == null || !again.enabled() || !java.util.Objects.equals(again.passwordHash(), user.passwordHash())) {
            store.deleteToken(hash);
            throw new AtelierException(ErrorCode.SIGN_IN_FAILED, "the user was changed while signing in; sign in "
                    + "again");
        }
        return new IssuedToken(token, user, p, role == null ? Caller.PROJECT_ADMIN : role, now, expires);
    }

    /** The user's first project by name, or null when they have none (a service administrator may have none). */
    private String firstProject(User user) {
        var roles = store.rolesOf(user.id());
        return store.projects().stream().filter(p -> roles.containsKey(p.id()) || user.serviceAdmin())
                .map(Project::name).sorted().findFirst().orElse(null);
    }

    /**
     * A token of the same user for another of their projects, in exchange for {@code token}, which stops working:
     * moving between projects without giving the password again, as IAM scopes a token anew. The new token expires
     * when the old one would have: a sign-in cannot be kept alive by moving.
     */
    public IssuedToken switchProject(Caller caller, String token, String project) {
        Project p = store.project(project == null ? "" : project).orElse(null);
        String role = p == null ? null : caller.roles().get(p.id());
        if (p == null || (role == null && !caller.serviceAdmin())) {
            throw new AtelierException(ErrorCode.PROJECT_FORBIDDEN, "project " + project
                    + " is not a project of the caller");
        }
        User user = store.user(caller.userId()).orElseThrow(() -> new AtelierException(ErrorCode.TOKEN_INVALID,
                "the user no longer exists"));
        String old = Authenticator.tokenHash(token);
        long expires = store.byToken(old).map(t -> t.credential().expiresAt())
                .orElseThrow(() -> new AtelierException(ErrorCode.TOKEN_INVALID, "the sign-in has ended"));
        IssuedToken issued = issue(user, p, role, expires);
        if (store.byToken(old).isEmpty()) { // ended meanwhile: so is what it became
            signOut(issued.token());
            throw new AtelierException(ErrorCode.TOKEN_INVALID, "the sign-in has ended");
        }
        signOut(token);
        return issued;
    }

    /** Ends a sign-in: the token stands for nobody from the next request on. */
    public void signOut(String token) {
        if (token != null && !token.isBlank()) {
            store.deleteToken(Authenticator.tokenHash(token));
        }
    }

    private static void pause(java.time.Duration d) {
        if (d.isZero()) {
            return;
        }
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        for (var role : roles.entrySet()) {
            if (Caller.PROJECT_ADMIN.equals(role.getValue())) {
                requireAnotherAdministrator(store.project(role.getKey()).orElseThrow(), u);
            }
        }
        for (String project : roles.keySet()) {
            long owned = instances.list(InstanceStore.InstanceQuery.in(project).owner(u.id()).page(0, 1).build()).total();
            if (owned > 0) {
                throw new AtelierException(ErrorCode.ILLEGAL_STATE, u.name() + " owns " + owned + " instance(s) in "
                        + "project " + project + ": delete them, or disable the user instead");
            }
        }
        store.deleteUser(u.id());
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
        if (Caller.MEMBER.equals(role)) {
            requireAnotherAdministrator(p, u);
        }
        store.addMember(p.id(), u.id(), role);
        return new Member(p.id(), u.id(), u.name(), role);
    }

    public Member removeMember(Caller caller, String project, String user) {
        Project p = existingProject(project);
        caller.requireProjectAdministrator(p.id(), "change its members");
        User u = existingUser(user);
        String role = store.rolesOf(u.id()).get(p.id());
        if (role != null) {
            requireAnotherAdministrator(p, u);
        }
        if (role == null || !store.removeMember(p.id(), u.id())) {
            throw new AtelierException(ErrorCode.NOT_FOUND, u.name() + " is not a member of project " + p.name());
        }
        return new Member(p.id(), u.id(), u.name(), role);
    }

    /**
     * A project keeps an enabled administrator: its last one is not demoted, removed or deleted (only the service
     * administrator could manage its members after that). Not atomic: two administrators removing each other at
     * the same moment can both succeed.
     */
    private void requireAnotherAdministrator(Project p, User u) {
        List<Member> members = store.members(p.id());
        boolean isAdmin = members.stream().anyMatch(m -> m.userId().equals(u.id())
                && Caller.PROJECT_ADMIN.equals(m.role()));
        if (isAdmin && members.stream().noneMatch(m -> !m.userId().equals(u.id())
                && Caller.PROJECT_ADMIN.equals(m.role())
                && store.user(m.userId()).map(User::enabled).orElse(false))) {
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, u.name() + " is the last administrator of project "
                    + p.name() + "; make another one first");
        }
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
