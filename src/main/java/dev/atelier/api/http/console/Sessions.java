package dev.atelier.api.http.console;

import dev.atelier.api.http.HttpApi;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.auth.SignedRequest;
import dev.atelier.core.service.SignIns;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Console sign-in: a session is a sign-in token (as {@code POST /v3/auth/tokens} issues, with the same lockout
 * rules) kept in an HttpOnly, SameSite cookie scoped to {@code /console}; every form carries a CSRF token derived from
 * it with a key of the server's, so that every replica checks it and no server-side state is needed.
 */
final class Sessions {
    static final String COOKIE = "atelier_console";
    static final String CSRF_FIELD = "csrf";
    static final String CSRF_HEADER = "X-CSRF-Token";

    private final Authenticator authenticator;
    private final SignIns signIns;
    private final byte[] csrfKey;

    Sessions(Authenticator authenticator, SignIns signIns, byte[] csrfKey) {
        this.authenticator = authenticator;
        this.signIns = signIns;
        this.csrfKey = csrfKey.clone();
    }

    /** Why there is no session: none, or one that ended (expired, signed out, its user disabled). */
    enum Absence { NONE, ENDED }

    /** The request's session, or null with {@code why} telling whether a cookie was there. */
    Session current(Context ctx, Absence[] why) {
        String token = ctx.cookie(COOKIE);
        why[0] = Absence.NONE;
        if (token == null || token.isBlank() || token.length() > 128) {
            return null;
        }
        Caller caller;
        try {
            caller = authenticator.authenticate(new SignedRequest(ctx.method().name(), ctx.path(), null,
                    name -> name.equalsIgnoreCase("x-auth-token") ? token : null, () -> new byte[0]), ctx.ip())
                    .inRequest(HttpApi.requestId(ctx));
        } catch (AtelierException e) {
            if (e.errorCode() == ErrorCode.TOO_MANY_SIGN_INS) {
                throw e;
            }
            why[0] = Absence.ENDED;
            clear(ctx);
            return null;
        }
        return new Session(caller, token, caller.tokenProject(), csrf(token));
    }

    /** Signs in and sets the cookie; what {@link SignIns#signIn} refuses is thrown as it is. */
    SignIns.IssuedToken signIn(Context ctx, String user, String password, String project) {
        HttpApi.auditedAs(ctx, user);
        SignIns.IssuedToken t = signIns.signIn(user, password, project, ctx.ip(), true);
        HttpApi.auditedAs(ctx, t.user().name());
        set(ctx, t.token());
        return t;
    }

    void switchProject(Context ctx, Session s, String project) {
        set(ctx, signIns.switchProject(s.caller(), s.token(), project).token());
    }

    void signOut(Context ctx, Session s) {
        signIns.signOut(s.token());
        clear(ctx);
    }

    /**
     * A form's CSRF token must be the session's; a cross-site POST is refused by its Origin as well (a browser
     * sends one with every POST), which covers the sign-in form, made before there is a session.
     */
    void checkForm(Context ctx, Session s) {
        checkOrigin(ctx);
        if (s == null) {
            return;
        }
        String sent = ctx.header(CSRF_HEADER);
        if (sent == null) {
            sent = ctx.formParam(CSRF_FIELD);
        }
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.US_ASCII),
                s.csrf().getBytes(StandardCharsets.US_ASCII))) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "This form has expired or did not come from this "
                    + "console. Reload the page and try again.");
        }
    }

    static void checkOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null) { // not a browser's form: the CSRF token decides
            return;
        }
        String host = ctx.header("Host");
        String forwarded = ctx.header("X-Forwarded-Host");
        java.net.URI o;
        try {
            o = java.net.URI.create(origin);
        } catch (IllegalArgumentException e) {
            o = null;
        }
        String originHost = o == null || o.getHost() == null ? null
                : o.getHost() + (o.getPort() < 0 ? "" : ":" + o.getPort());
        if (originHost == null || !(originHost.equalsIgnoreCase(host) || originHost.equalsIgnoreCase(forwarded)
                || originHost.equalsIgnoreCase(withoutDefaultPort(host)))) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "This form was sent from another site (" + origin
                    + "); the console accepts forms from its own pages only.");
        }
    }

    private static String withoutDefaultPort(String host) {
        return host == null ? null : host.replaceFirst(":(80|443)$", "");
    }

    String csrf(String token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(csrfKey, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(
                    mac.doFinal(token.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static void set(Context ctx, String token) {
        ctx.res().addHeader("Set-Cookie", COOKIE + "=" + token + "; Path=/console; Max-Age="
                + SignIns.TOKEN_LIFETIME.toSeconds() + "; HttpOnly; SameSite=Lax" + secure(ctx));
    }

    private static void clear(Context ctx) {
        ctx.res().addHeader("Set-Cookie", COOKIE + "=; Path=/console; Max-Age=0; HttpOnly; SameSite=Lax"
                + secure(ctx));
    }

    /** Secure where the browser reached us over TLS (directly, or through a proxy that says so). */
    private static String secure(Context ctx) {
        return "https".equalsIgnoreCase(ctx.scheme()) || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"))
                ? "; Secure" : "";
    }
}
