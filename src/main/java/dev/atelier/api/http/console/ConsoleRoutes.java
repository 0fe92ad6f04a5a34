package dev.atelier.api.http.console;

import dev.atelier.api.http.ClientFault;
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
    private final dev.atelier.core.service.IdentityService identity;
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
        this.identity = services.identity();
        this.sessions = new Sessions(services.authenticator(), services.signIns(), services.csrfKey());
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
        // a browser pointed at the server itself is sent to the console; an API client gets the API's 404
        routes.get("/", ctx -> {
            String accept = ctx.header("Accept");
            if (accept == null || !accept.contains("text/html")) {
                throw new io.javalin.http.NotFoundResponse();
            }
            ctx.redirect(PREFIX + "/", io.javalin.http.HttpStatus.SEE_OTHER);
        });
        routes.get(PREFIX, ctx -> ctx.redirect(PREFIX + "/notebooks"));
        routes.get(PREFIX + "/", ctx -> ctx.redirect(PREFIX + "/notebooks"));
        routes.get(PREFIX + "/assets/{file}", this::asset);
        routes.get(PREFIX + "/sign-in", this::signInPage);
        routes.post(PREFIX + "/sign-in", this::signIn);
        // these two work in a project the user was removed from: the way out of it
        routes.post(PREFIX + "/sign-out", page((ctx, s) -> {
            sessions.signOut(ctx, s);
            Pages.redirect(ctx, PREFIX + "/sign-in", "signed-out");
        }, Access.ANY_PROJECT));
        routes.post(PREFIX + "/project", page((ctx, s) -> {
            sessions.switchProject(ctx, s, ctx.formParam("project"));
            Pages.redirect(ctx, PREFIX + "/notebooks", "switched");
        }, Access.ANY_PROJECT));
        notebooks.register(routes, this::page, this::fragment);
        account.register(routes, this::page);
        admin.register(routes, this::page);
        io.javalin.http.Handler nowhere = ctx -> {
            Pages.headers(ctx);
            fail(ctx, null, new AtelierException(ErrorCode.ROUTE_NOT_FOUND, "There is no such page."));
        };
        routes.get(PREFIX + "/<rest>", nowhere);
        routes.post(PREFIX + "/<rest>", nowhere);
    }

    /**
     * Who may reach a page: {@code PAGE} only as a page of the browser's own (a navigation, never a script's fetch
     * or a frame), in a project the user still belongs to; {@code FRAGMENT} as well from the console's own polls
     * (it holds no secret: no CSRF token, no notebook token); {@code ANY_PROJECT} as a page, in any project.
     */
    enum Access { PAGE, FRAGMENT, ANY_PROJECT }

    Handler page(SignedIn page) {
        return page(page, Access.PAGE);
    }

    Handler fragment(SignedIn page) {
        return page(page, Access.FRAGMENT);
    }

    /** A page for signed-in users: the session checked, forms' CSRF tokens checked, failures shown as pages. */
    private Handler page(SignedIn page, Access access) {
        return ctx -> {
            Session s = null;
            try {
                if (access != Access.FRAGMENT) {
                    requireNavigation(ctx);
                }
                Sessions.Absence[] why = new Sessions.Absence[1];
                s = sessions.current(ctx, why);
                if (s == null) {
                    toSignIn(ctx, why[0]);
                    return;
                }
                if (!"GET".equals(ctx.method().name())) {
                    sessions.checkForm(ctx, s);
                }
                if (access != Access.ANY_PROJECT) {
                    s.caller().requireProject(s.projectId()); // removed from it since signing in: no more
                }
                HttpApi.actingAs(ctx, s.caller(), auditProject(ctx, s));
                page.handle(ctx, s);
            } catch (Exception e) {
                fail(ctx, s, e);
            }
        };
    }

    /**
     * The project a request belongs to in the audit log: the one named in the path for a project's members, none
     * for users, access keys and the account, which belong to no project, else the session's.
     */
    private String auditProject(Context ctx, Session s) {
        String path = ctx.path();
        String projects = PREFIX + "/admin/projects/";
        if (path.startsWith(projects)) {
            return identity.projectId(HttpApi.segment(path, projects.length())).orElse(null);
        }
        return path.startsWith(PREFIX + "/admin/") || path.startsWith(PREFIX + "/account") ? null : s.projectId();
    }

    /**
     * A console page is answered only to the browser's own navigation. Where notebooks are served on the console's
     * origin (no --notebook-domain), a notebook's script is same-origin: were it allowed to fetch a page, it could
     * read the page's CSRF token and act as whoever opened the notebook. Browsers say what a request is for in
     * Sec-Fetch-* headers, which no script can set; a request without them (an older browser, a program) is left to
     * the CSRF token and the Origin check.
     */
    static void requireNavigation(Context ctx) {
        String mode = ctx.header("Sec-Fetch-Mode");
        String dest = ctx.header("Sec-Fetch-Dest");
        if (mode == null) {
            return;
        }
        if (!"navigate".equals(mode) || dest != null && !"document".equals(dest)) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "Console pages open only in the browser's own window, "
                    + "not from a script or inside a frame.");
        }
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
            requireNavigation(ctx);
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
            requireNavigation(ctx);
            Sessions.checkOrigin(ctx);
            // a chunked body declares no length: it is read (within the server's bound on bodies) and measured
            if (ctx.contentLength() > MAX_SIGN_IN_BYTES
                    || ctx.contentLength() < 0 && ctx.bodyAsBytes().length > MAX_SIGN_IN_BYTES) {
                throw new AtelierException(ErrorCode.PAYLOAD_TOO_LARGE, "The form is too large.");
            }
            user = value(ctx.formParam("user"));
            project = value(ctx.formParam("project"));
            next = safeNext(ctx.formParam("next"));
            String password = ctx.formParam("password");
            if (user.isEmpty() || password == null || password.isEmpty()) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "Enter your user name and your password.");
            }
            sessions.signIn(ctx, user, password, project);
            ctx.redirect(next, io.javalin.http.HttpStatus.SEE_OTHER);
        } catch (AtelierException e) {
            int status = Messages.refused(ctx, e);
            if (e.retryAfter() != null) {
                ctx.header("Retry-After", Long.toString(Math.max(1, e.retryAfter().toSeconds())));
            }
            pages.render(ctx, status, "signin", Map.of("shell",
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
        if (next == null || !SAFE_NEXT.matcher(next).matches() || next.startsWith(PREFIX + "/sign-")) {
            return PREFIX + "/notebooks";
        }
        return next;
    }

    /**
     * A console page: its path of plain segments (none {@code .} or {@code ..}, nothing escaped, which a browser
     * would resolve out of the console), then any query of printable characters other than a backslash.
     */
    private static final java.util.regex.Pattern SAFE_NEXT = java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(PREFIX) + "(/(?!\\.{1,2}(/|\\?|$))[A-Za-z0-9_.-]+)+/?(\\?[!-\\[\\]-~]*)?");

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
        } else if (ClientFault.of(e) instanceof ClientFault fault) { // too large, too slow, malformed: the client's
            HttpApi.failed(ctx, fault.code());
            status = Messages.status(fault.code());
            message = Messages.sentence(fault.message());
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
        String title = switch (status) {
            case 401, 403 -> "Not allowed";
            case 404 -> "Not found";
            case 500, 503 -> "Something went wrong";
            default -> "That did not work";
        };
        Shell shell;
        try {
            shell = s == null ? Shell.anonymous(title, null, message) : pages.shell(ctx, s, title, "")
                    .withError(message);
        } catch (RuntimeException again) {
            shell = Shell.anonymous(title, null, message);
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
