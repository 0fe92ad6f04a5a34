package dev.atelier.api.http.console;

import dev.atelier.api.http.HttpApi;
import dev.atelier.api.http.RouteModule;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console at {@code /console/}: server-rendered pages over the same core services the v1 API uses, signed
 * in with a session cookie (see {@link Sessions}). Every page and form goes through {@link #page}: no session, no
 * page; no CSRF token, no change; every failure a page a person can read, never JSON or a stack trace.
 */
public final class ConsoleRoutes implements RouteModule {
    static final String PREFIX = "/console";
    private static final Logger log = LoggerFactory.getLogger(ConsoleRoutes.class);
    private static final String HTMX = "META-INF/resources/webjars/htmx.org/2.0.7/dist/htmx.min.js";
    private static final int MAX_SIGN_IN_BYTES = 16 * 1024;

    private final Sessions sessions;
    private final Pages pages;
    private final Predicate<Throwable> storeUnavailable;
    private final NotebookPages notebooks;
    private final AccountPages account;
    private final AdminPages admin;
    private final Map<String, byte[]> assets = new HashMap<>();

    /** How a page of a signed-in user is answered. */
    @FunctionalInterface
    interface SignedIn {
        void handle(Context ctx, Session s) throws Exception;
    }

    public ConsoleRoutes(ConsoleServices services, Predicate<Throwable> storeUnavailable) {
        this.pages = new Pages(services.identity());
        this.sessions = new Sessions(services.authenticator(), services.identity(), services.csrfKey());
        this.storeUnavailable = storeUnavailable;
        this.notebooks = new NotebookPages(services, pages);
        this.account = new AccountPages(services, pages, sessions);
        this.admin = new AdminPages(services, pages);
        assets.put("htmx.min.js", resource(HTMX));
        assets.put("console.css", resource("console/console.css"));
        assets.put("console.js", resource("console/console.js"));
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get(PREFIX, ctx -> ctx.redirect(PREFIX + "/notebooks"));
        routes.get(PREFIX + "/", ctx -> ctx.redirect(PREFIX + "/notebooks"));
        routes.get(PREFIX + "/assets/{file}", this::asset);
        routes.get(PREFIX + "/sign-in", this::signInPage);
        routes.post(PREFIX + "/sign-in", this::signIn);
        routes.post(PREFIX + "/sign-out", page((ctx, s) -> {
            sessions.signOut(ctx, s);
            Pages.redirect(ctx, PREFIX + "/sign-in", "signed-out");
        }));
        routes.post(PREFIX + "/project", page((ctx, s) -> {
            sessions.switchProject(ctx, s, ctx.formParam("project"));
            Pages.redirect(ctx, PREFIX + "/notebooks", "switched");
        }));
        notebooks.register(routes, this::page);
        account.register(routes, this::page);
        admin.register(routes, this::page);
        io.javalin.http.Handler nowhere = ctx -> {
            Pages.headers(ctx);
            fail(ctx, null, new AtelierException(ErrorCode.ROUTE_NOT_FOUND, "There is no such page."));
        };
        routes.get(PREFIX + "/<rest>", nowhere);
        routes.post(PREFIX + "/<rest>", nowhere);
    }

    /** A page for signed-in users: the session checked, forms' CSRF tokens checked, failures shown as pages. */
    Handler page(SignedIn page) {
        return ctx -> {
            Session s = null;
            try {
                Sessions.Absence[] why = new Sessions.Absence[1];
                s = sessions.current(ctx, why);
                if (s == null) {
                    toSignIn(ctx, why[0]);
                    return;
                }
                if (!"GET".equals(ctx.method().name())) {
                    sessions.checkForm(ctx, s);
                }
                HttpApi.actingAs(ctx, s.caller());
                page.handle(ctx, s);
            } catch (Exception e) {
                fail(ctx, s, e);
            }
        };
    }

    private void toSignIn(Context ctx, Sessions.Absence why) {
        String next = "GET".equals(ctx.method().name()) && ctx.header("HX-Request") == null
                ? ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString()) : null;
        String to = PREFIX + "/sign-in" + (next == null ? "" : "?next="
                + java.net.URLEncoder.encode(next, java.nio.charset.StandardCharsets.UTF_8));
        Pages.redirect(ctx, to, why == Sessions.Absence.ENDED ? "ended" : null);
    }

    private void signInPage(Context ctx) {
        try {
            Sessions.Absence[] why = new Sessions.Absence[1];
            if (sessions.current(ctx, why) != null) {
                ctx.redirect(safeNext(ctx.queryParam("next")), io.javalin.http.HttpStatus.SEE_OTHER);
                return;
            }
            pages.render(ctx, 200, "signin", Map.of("shell", Shell.anonymous("Sign in", Pages.notice(ctx), null),
                    "user", "", "project", "", "next", safeNext(ctx.queryParam("next"))));
        } catch (Exception e) {
            fail(ctx, null, e);
        }
    }

    private void signIn(Context ctx) {
        String user = "";
        String project = "";
        String next = PREFIX + "/notebooks";
        try {
            Sessions.checkOrigin(ctx);
            if (ctx.contentLength() > MAX_SIGN_IN_BYTES) {
                throw new AtelierException(ErrorCode.PAYLOAD_TOO_LARGE, "The form is too large.");
            }
            user = value(ctx.formParam("user"));
            project = value(ctx.formParam("project"));
            next = safeNext(ctx.formParam("next"));
            sessions.signIn(ctx, user, ctx.formParam("password"), project);
            ctx.redirect(next, io.javalin.http.HttpStatus.SEE_OTHER);
        } catch (AtelierException e) {
            HttpApi.failed(ctx, e.errorCode());
            pages.render(ctx, Messages.status(e.errorCode()), "signin", Map.of("shell",
                    Shell.anonymous("Sign in", null, Messages.of(e)), "user", user, "project", project, "next", next));
        } catch (Exception e) {
            fail(ctx, null, e);
        }
    }

    private static String value(String v) {
        return v == null ? "" : v.trim();
    }

    /** Where to go after signing in: a console page only, never another site. */
    static String safeNext(String next) {
        if (next == null || !next.startsWith(PREFIX + "/") || next.startsWith("//") || next.contains("\\")
                || next.contains("://") || next.startsWith(PREFIX + "/sign-")) {
            return PREFIX + "/notebooks";
        }
        return next;
    }

    /** A failure as a page: what the user can do about it, or the request id to quote when it was the server's. */
    void fail(Context ctx, Session s, Exception e) {
        int status;
        String message;
        if (e instanceof AtelierException a) {
            if (a.retryAfter() != null) {
                ctx.header("Retry-After", Long.toString(Math.max(1, a.retryAfter().toSeconds())));
            }
            HttpApi.failed(ctx, a.errorCode());
            status = Messages.status(a.errorCode());
            message = Messages.of(a);
        } else if (storeUnavailable.test(e)) {
            log.warn("request {} {} {}: the database is unavailable: {}", HttpApi.requestId(ctx), ctx.method(),
                    ctx.path(), e.getMessage());
            HttpApi.failed(ctx, ErrorCode.UNAVAILABLE);
            ctx.header("Retry-After", "5");
            status = 503;
            message = "The service cannot reach its database just now. Try again in a few seconds.";
        } else {
            log.error("request {} {} {} failed", HttpApi.requestId(ctx), ctx.method(), ctx.path(), e);
            HttpApi.failed(ctx, ErrorCode.INTERNAL);
            status = 500;
            message = "Something went wrong on the server. If it happens again, tell your administrator and quote "
                    + "request id " + HttpApi.requestId(ctx) + ".";
        }
        Shell shell;
        try {
            shell = s == null ? Shell.anonymous("Error", null, message) : pages.shell(ctx, s, "Error", "")
                    .withError(message);
        } catch (RuntimeException again) {
            shell = Shell.anonymous("Error", null, message);
        }
        pages.render(ctx, status, "error", Map.of("shell", shell, "signedIn", s != null));
    }

    private void asset(Context ctx) {
        String file = ctx.pathParam("file");
        byte[] body = assets.get(file);
        if (body == null) {
            fail(ctx, null, new AtelierException(ErrorCode.ROUTE_NOT_FOUND, "There is no such file."));
            return;
        }
        ctx.header("Cache-Control", "public, max-age=3600");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.contentType(file.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8")
                .result(body);
    }

    private static byte[] resource(String name) {
        try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing from the build: " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
