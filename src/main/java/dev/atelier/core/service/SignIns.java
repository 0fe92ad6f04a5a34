package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.auth.Passwords;
import dev.atelier.core.auth.SignInLimiter;
import dev.atelier.core.port.IdentityStore;
import dev.atelier.core.port.IdentityStore.Project;
import dev.atelier.core.port.IdentityStore.User;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * Sign-ins: a password exchanged for a token scoped to one project, guesses counted and slowed by the
 * {@link SignInLimiter}; a token exchanged for one of another project; a token ended. A token is kept only as its
 * hash, and a sign-in overtaken by a new password or a disabling does not outlive it.
 */
public final class SignIns {
    public static final Duration TOKEN_LIFETIME = Duration.ofHours(24);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final IdentityStore store;
    private final SignInLimiter limiter;
    private final Clock clock;

    public SignIns(IdentityStore store, SignInLimiter limiter, Clock clock) {
        this.store = store;
        this.limiter = limiter;
        this.clock = clock;
    }

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
}
