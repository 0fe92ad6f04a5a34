package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import dev.atelier.core.port.AuditStore;
import dev.atelier.core.service.IdentityService;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The HTTP adapter: Javalin on Jetty with virtual threads. Every response is JSON and carries an
 * {@code X-Request-Id}; every route under {@code /v1} and {@code /admin} is authenticated, every handler checks
 * that the project in its path is one of the caller's, and every state-changing call is audited.
 */
public final class HttpApi {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    private static final Logger access = LoggerFactory.getLogger("atelier.access");
    static final String CALLER = "atelier.caller";
    static final String AUDIT_USER = "atelier.audit.user";
    /** The project of a request whose path names none (the console's). */
    private static final String AUDIT_PROJECT = "atelier.audit.project";
    private static final String ADMIN_PROJECTS = "/admin/v1/projects/";
    static final String IDENTITY = "atelier.identity";
    static final String PROJECT_CHECKED = "atelier.project-checked";
    /** The instance a route of one instance was authorised for (set by {@link #ownInstance}). */
    static final String AUTHORIZED = "atelier.authorized-instance";
    private static final java.util.concurrent.atomic.AtomicLong LAST_AUDIT_AT = new java.util.concurrent.atomic.AtomicLong();
    private static final Set<String> READ_ONLY = Set.of("GET", "HEAD", "OPTIONS");
    private static final java.util.regex.Pattern PROJECT_IN_PATH = java.util.regex.Pattern.compile(
            "^/v[13]/(?!auth/)([^/]+)/");
    private static final String ERROR_WRITTEN = "atelier.error";
    private static final java.util.regex.Pattern CLIENT_REQUEST_ID = java.util.regex.Pattern.compile(
            "[A-Za-z0-9._:-]{1,64}");
    static final long MAX_BODY_BYTES = 1024 * 1024;
    /** Bodies of requests that anyone may send without credentials (signing in): read only this far. */
    static final int MAX_ANONYMOUS_BODY_BYTES = 16 * 1024;
    private static final long MIN_REQUEST_BYTES_PER_SECOND = 1024;
    private static final long IDLE_TIMEOUT_MS = 30_000;

    private static final String FAILURE = "atelier.failure";
    private static final byte[] NO_BODY = new byte[0];

    private final Javalin app;

    /** Hears every request once it is answered: for metrics. */
    public interface RequestObserver {
        RequestObserver NONE = (method, route, status, failure, millis) -> { };

        /**
         * {@code route}: the path template that matched ({@code /v1/{project_id}/notebooks/{id}}), or
         * {@code unmatched}; {@code failure}: what went wrong, where something did, else null.
         */
        void answered(String method, String route, int status, ErrorCode failure, double millis);
    }

    /**
     * Serves {@code modules} on {@code host:port}; {@code storeUnavailable} tells a failure of the database (503, retry)
     * from a defect (500); {@code observer} hears every answered request.
     */
    public HttpApi(String host, int port, Authenticator authenticator, IdentityService identity,
                   List<RouteModule> modules, java.util.function.Predicate<Throwable> storeUnavailable,
                   RequestObserver observer, java.time.Duration slowRequest) {
        this.app = Javalin.create(cfg -> {
            server(cfg, host, port, observer, slowRequest.toMillis());
            filters(cfg.routes, authenticator, identity);
            modules.forEach(m -> m.register(cfg.routes));
            errors(cfg.routes, storeUnavailable);
        });
    }

    public HttpApi start() {
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    /** Every HTTP route served, as {@code "METHOD /path/{param}"}, sorted (filters and WebSockets left out). */
    public java.util.SortedSet<String> routes() {
        java.util.SortedSet<String> all = new java.util.TreeSet<>();
        for (var parsed : app.unsafe.internalRouter.allHttpHandlers()) {
            var e = parsed.endpoint;
            if (e.method.isHttpMethod()) {
                all.add(e.method.name() + " " + e.path);
            }
        }
        return all;
    }

    public void stop() {
        app.stop();
    }

    /** Jetty and Javalin: limits, timeouts, JSON everywhere, the access log. */
    private static void server(JavalinConfig cfg, String host, int port, RequestObserver observer,
                               long slowRequestMs) {
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.concurrency.useVirtualThreads = true;
        cfg.jetty.host = host;
        cfg.jetty.port = port;
        cfg.jsonMapper(new JavalinJackson(Json.mapper(), true));
        cfg.http.defaultContentType = "application/json";
        cfg.http.maxRequestSize = MAX_BODY_BYTES;
        cfg.http.prefer405over404 = true;
        cfg.http.compressionStrategy = compression();
        // every answer is JSON, Jetty's own too (a request it cannot parse, headers or a URI over the limit)
        cfg.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
        cfg.jetty.modifyServletContextHandler(context -> {
            context.setErrorHandler(new JsonErrorHandler());
            // Javalin opens a servlet session for every WebSocket upgrade it is asked for, answered or refused,
            // and Jetty kept each until it expired: anonymous upgrade requests filled the heap. Nothing here keeps
            // state in sessions (the console and the gateway have cookies of their own), so none is kept or sent
            var sessions = context.getSessionHandler();
            if (sessions != null) {
                var none = new org.eclipse.jetty.session.NullSessionCache(sessions);
                none.setSessionDataStore(new org.eclipse.jetty.session.NullSessionDataStore());
                sessions.setSessionCache(none);
                sessions.setUsingCookies(false);
            }
        });
        cfg.jetty.modifyHttpConfiguration(http -> {
            // a body trickled byte by byte holds a connection and a thread: below this rate it is cut off
            http.setMinRequestDataRate(MIN_REQUEST_BYTES_PER_SECOND);
            http.setIdleTimeout(IDLE_TIMEOUT_MS);
            http.setSendServerVersion(false);
        });
        cfg.jetty.modifyServer(SlowHeaders::watch);
        // past its share of file descriptors the server stops accepting until connections close; those waiting
        // queue in the kernel (dev.atelier.api.Connections). Open connections keep their idle timeouts: the
        // limit's own option to shorten them would apply to notebooks' WebSockets as well, and not restore them
        cfg.jetty.modifyServer(server -> {
            server.addBean(new org.eclipse.jetty.server.NetworkConnectionLimit(dev.atelier.api.Connections.http(),
                    server));
            server.addEventListener(new org.eclipse.jetty.util.component.LifeCycle.Listener() {
                @Override
                public void lifeCycleStarting(org.eclipse.jetty.util.component.LifeCycle event) {
                    for (var c : server.getConnectors()) { // before they open their sockets
                        if (c instanceof org.eclipse.jetty.server.ServerConnector sc) {
                            sc.setAcceptQueueSize(dev.atelier.api.Connections.ACCEPT_QUEUE);
                        }
                    }
                }
            });
        });
        // notebook traffic through the gateway: kernel messages carry outputs (images, tables) of many MB
        cfg.jetty.modifyWebSocketServletFactory(ws -> {
            ws.setMaxTextMessageSize(64L * 1024 * 1024);
            ws.setMaxBinaryMessageSize(64L * 1024 * 1024);
            ws.setIdleTimeout(java.time.Duration.ofHours(24));
        });
        cfg.requestLogger.http((ctx, ms) -> {
            var endpoint = ctx.endpoints().matchedHttpEndpoint();
            String route = endpoint == null ? "unmatched" : endpoint.path;
            observer.answered(ctx.method().name(), route, ctx.statusCode(), ctx.attribute(FAILURE), ms);
            boolean gateway = ctx.path().startsWith(NotebookGateway.PREFIX);
            // fields of the JSON log format (--log-format json)
            MDC.put("method", ctx.method().name());
            MDC.put("route", route);
            MDC.put("status", Integer.toString(ctx.statusCode()));
            MDC.put("duration_ms", Long.toString(Math.round(ms)));
            // notebook traffic is logged by the instance's own server (instance-logs/); failures here still are
            if (!gateway || ctx.statusCode() >= 400) {
                String theirs = MDC.get("client_request_id");
                access.info("{} {} {} {} {}ms{}", ctx.attribute("request-id"), ctx.method(), ctx.path(),
                        ctx.statusCode(), Math.round(ms), theirs == null ? "" : " client-request-id=" + theirs);
            }
            if (!gateway && ms >= slowRequestMs) { // a notebook's own requests may take long (a big download)
                log.warn("slow request {}: {} {} took {} ms (status {})", ctx.attribute("request-id"), ctx.method(),
                        route, Math.round(ms), ctx.statusCode());
            }
            MDC.clear();
        });
    }

    /**
     * Answers are gzipped for clients that ask, as Javalin does by default, except where gzip cannot shrink them:
     * besides images, audio, video and archives (Javalin's own list), opaque binaries and other compressed
     * formats. A browser's 100 MB download of a binary through the notebook gateway took 3.3 s gzipped on one
     * core instead of 0.19 s (docs/performance.md).
     */
    static io.javalin.compression.CompressionStrategy compression() {
        var strategy = new io.javalin.compression.CompressionStrategy(null, new io.javalin.compression.Gzip());
        List<String> excluded = new java.util.ArrayList<>(strategy.getExcludedMimeTypes());
        // and streams of events, which gzip would hold back until its buffer fills
        excluded.addAll(List.of("text/event-stream", "application/octet-stream", "application/x-zip-compressed",
                "application/pdf", "application/x-gzip", "application/x-bzip2",
                "application/x-7z-compressed", "application/zstd", "application/x-zstd", "application/x-tar",
                "application/vnd.apache.parquet", "application/x-hdf5", "application/x-npy"));
        strategy.setExcludedMimeTypes(excluded);
        // the API's own answers: found in the list of those allowed at once, instead of after a case-blind search of
        // each excluded type in them (4.7% of a show's CPU)
        List<String> allowed = new java.util.ArrayList<>(strategy.getAllowedMimeTypes()); // Javalin's: SVG
        allowed.addAll(List.of("application/json", "application/json;charset=utf-8",
                "application/json; charset=utf-8", "application/json; charset=UTF-8"));
        strategy.setAllowedMimeTypes(allowed);
        return strategy;
    }

    /** Before every route: a request id, authentication, the project check; after every change: the audit. */
    private static void filters(RoutesConfig routes, Authenticator authenticator, IdentityService identity) {
        routes.before(ctx -> {
            MDC.clear();
            String id = requestId();
            MDC.put("request_id", id);
            String theirs = clientRequestId(ctx.header("X-Request-Id"));
            if (theirs != null) { // joins their logs to ours; ours stays unique (the audit log is keyed by it)
                MDC.put("client_request_id", theirs);
            }
            ctx.attribute("request-id", id);
            ctx.header("X-Request-Id", id);
            ctx.contentType("application/json");
            if (secured(ctx.path()) || ctx.path().startsWith("/v3/")) {
                // answers of the API carry tokens, secret keys and what only their caller may see: no cache keeps
                // them (a shared proxy, the browser's disk)
                ctx.header("Cache-Control", "no-store");
            }
        });
        // one filter for every request, deciding by the path's prefix: each filter on a path pattern is another
        // regular expression tried on every request (docs/performance.md)
        routes.before(ctx -> {
            String path = ctx.path();
            if (!secured(path)) {
                return;
            }
            ctx.attribute(IDENTITY, identity);
            Caller caller = authenticator.authenticate(Requests.signedRequest(ctx, () -> body(ctx)), ctx.ip())
                    .inRequest(ctx.attribute("request-id"));
            ctx.attribute(CALLER, caller);
            MDC.put("user", caller.userName());
            // every route of a project checks, before its handler, that the project is one of the caller's: no
            // handler can forget it (signing in, /v3/auth/tokens, belongs to no project)
            String project = projectSegment(path);
            if (project != null) {
                Requests.checkProject(ctx, caller, project);
            } else if (path.startsWith(ADMIN_PROJECTS) && !READ_ONLY.contains(ctx.method().name())) {
                // a change to a project's members or quotas is that project's history: its administrators read it.
                // Named before the change, which may delete the project
                String named = segment(path, ADMIN_PROJECTS.length());
                identity.projectId(named).ifPresent(id -> ctx.attribute(AUDIT_PROJECT, id));
            }
        });
        // every state-changing call is audited, whatever its outcome (after-handlers run after errors too); refused
        // ones without a signed-in caller within a budget per server (each replica bounds what reaches it)
        var anonymous = new AnonymousAuditBudget(System::currentTimeMillis);
        routes.after(ctx -> {
            // notebook traffic (saving a file, running a cell) is the instance's business, not the API's
            if (!READ_ONLY.contains(ctx.method().name()) && ctx.attribute("request-id") != null
                    && !ctx.path().startsWith(NotebookGateway.PREFIX)) {
                audit(identity, anonymous, ctx);
            }
        });

    }

    /** Whether {@code path} (raw, as Javalin matches it; the API has no context path) needs a signed-in caller. */
    static boolean secured(String path) {
        return (path.startsWith("/v1/") || path.startsWith("/admin/") || path.startsWith("/v3/"))
                && !path.equals("/v3/auth/tokens"); // signing in is how a caller gets credentials
    }

    /**
     * The project of a path {@code /v1/<project>/…} or {@code /v3/<project>/…} (not {@code /v3/auth/…}), decoded as
     * Javalin decodes path parameters; null for any other path.
     */
    static String projectSegment(String path) {
        if (!(path.startsWith("/v1/") || path.startsWith("/v3/")) || path.startsWith("/v3/auth/")) {
            return null;
        }
        int end = path.indexOf('/', 4);
        if (end <= 4) {
            return null;
        }
        return segment(path, 4);
    }

    /** The path's segment that starts at {@code start}, decoded as Javalin decodes path parameters. */
    public static String segment(String path, int start) {
        int end = path.indexOf('/', start);
        String raw = path.substring(start, end < 0 ? path.length() : end);
        return raw.indexOf('%') < 0 ? raw : java.net.URLDecoder.decode(raw.replace("+", "%2B"),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The body the signature covers: none, without reading, when an HTTP/1 request declares none (in HTTP/1 a body
     * has a length or is chunked; in HTTP/2 it need declare neither, so there it is always read).
     */
    private static byte[] body(io.javalin.http.Context ctx) {
        String protocol = ctx.req().getProtocol();
        boolean none = protocol != null && protocol.startsWith("HTTP/1.") && ctx.req().getContentLengthLong() <= 0
                && ctx.req().getHeader("Transfer-Encoding") == null;
        return none ? NO_BODY : ctx.bodyAsBytes();
    }

    /** Every failure as the JSON error of the view it happened in; a defect logged with its request id. */
    private static void errors(RoutesConfig routes, java.util.function.Predicate<Throwable> storeUnavailable) {
        routes.exception(AtelierException.class, (e, ctx) -> {
            if (e.retryAfter() != null) {
                ctx.header("Retry-After", Long.toString(Math.max(1, e.retryAfter().toSeconds())));
            }
            writeError(ctx, e.errorCode(), e.getMessage());
        });
        routes.exception(HttpResponseException.class, (e, ctx) -> {
            switch (e.getStatus()) {
                case 404 -> writeError(ctx, ErrorCode.ROUTE_NOT_FOUND,
                        "no such API: " + ctx.method() + " " + ctx.path());
                case 405 -> writeError(ctx, ErrorCode.METHOD_NOT_ALLOWED,
                        ctx.method() + " is not allowed on " + ctx.path());
                case 413 -> { // a client's mistake, summed up in the log with the others
                    String message = "the request body is larger than " + MAX_BODY_BYTES + " bytes";
                    ClientFault.LOG.refused(ctx.ip(), ctx.method().name(), message);
                    writeError(ctx, ErrorCode.PAYLOAD_TOO_LARGE, message);
                }
                default -> writeError(ctx, ErrorCode.INVALID_PAYLOAD, e.getMessage());
            }
        });
        routes.exception(Exception.class, (e, ctx) -> {
            ClientFault fault = storeUnavailable.test(e) ? null : ClientFault.of(e);
            if (fault != null) { // the client's mistake, not the server's: briefly, and never a flood
                ClientFault.LOG.refused(ctx.ip(), ctx.method().name(), fault.message());
                writeError(ctx, fault.code(), fault.message());
                return;
            }
            if (storeUnavailable.test(e)) {
                log.warn("request {} {} {}: the database is unavailable: {}", ctx.attribute("request-id"),
                        ctx.method(), ctx.path(), e.getMessage());
                ctx.header("Retry-After", "5");
                writeError(ctx, ErrorCode.UNAVAILABLE, "the service's database is unavailable; retry later");
                return;
            }
            log.error("request {} {} {} failed", ctx.attribute("request-id"), ctx.method(), ctx.path(), e);
            writeError(ctx, ErrorCode.INTERNAL, "internal error; quote request id "
                    + ctx.attribute("request-id") + " when reporting it");
        });
        routes.error(404, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                writeError(ctx, ErrorCode.ROUTE_NOT_FOUND, "no such API: " + ctx.method() + " " + ctx.path());
            }
        });
        routes.error(405, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                writeError(ctx, ErrorCode.METHOD_NOT_ALLOWED, ctx.method() + " is not allowed on " + ctx.path());
            }
        });
        // a body that stops arriving: Jetty ends the read at the connection's idle timeout and answers 408 itself
        routes.error(408, ctx -> {
            if (ctx.attribute(ERROR_WRITTEN) == null) {
                writeError(ctx, ErrorCode.REQUEST_TIMEOUT, JsonErrorHandler.describe(408));
            }
        });
    }

    /**
     * For views served beside the API (the console): {@code caller} is who makes this request in project
     * {@code projectId}, as the API's own authentication would have said; the audit records both.
     */
    public static void actingAs(Context ctx, Caller caller, String projectId) {
        ctx.attribute(CALLER, caller);
        ctx.attribute(AUDIT_PROJECT, projectId);
        MDC.put("user", caller.userName());
    }

    /** Who a request that signs in says they are, for its audit entry (before anyone is signed in). */
    public static void auditedAs(Context ctx, String userName) {
        ctx.attribute(AUDIT_USER, userName);
    }

    /** This request's id (also in its {@code X-Request-Id} header and its audit entry). */
    public static String requestId(Context ctx) {
        return ctx.attribute("request-id");
    }

    /** The HTTP status the v1 API answers {@code failure} with; the console answers with the same. */
    public static int statusOf(ErrorCode failure) {
        return WireCodes.of(WireCodes.View.V1, failure).status();
    }

    /**
     * For views served beside the API: the request failed with {@code failure}, and the view answered it itself
     * (metrics and the audit record it as the v1 API's code; no JSON error is written over the answer).
     */
    public static void failed(Context ctx, ErrorCode failure) {
        ctx.attribute(FAILURE, failure);
        ctx.attribute(ERROR_WRITTEN, WireCodes.of(WireCodes.View.V1, failure).code());
    }

    static void writeError(Context ctx, ErrorCode failure, String message) {
        WireCodes.View view = WireCodes.viewOf(ctx.path());
        WireCodes.Wire wire = WireCodes.of(view, failure);
        ctx.attribute(ERROR_WRITTEN, wire.code());
        ctx.attribute(FAILURE, failure);
        ctx.status(wire.status()).json(WireCodes.body(view, wire, message, ctx.attribute("request-id")));
    }

    /**
     * The request id the client sent, where it is safe to log (letters, digits and {@code ._:-}, at most 64); else
     * null. It is logged beside ours, never instead of it: a client may send the same one twice.
     */
    static String clientRequestId(String fromClient) {
        return fromClient != null && CLIENT_REQUEST_ID.matcher(fromClient).matches() ? fromClient : null;
    }

    /**
     * A version-4 UUID from a fast generator: request ids must be unique, not unpredictable, and SecureRandom
     * for every request (the gateway serves many) costs more than the rest of the id's work.
     */
    static String requestId() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        long hi = (r.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
        long lo = (r.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(hi, lo).toString();
    }

    /** Who tried which state change, from where, and how it ended; never a credential or a body. */
    private static void audit(IdentityService identity, AnonymousAuditBudget anonymous, Context ctx) {
        Caller caller = ctx.attribute(CALLER);
        if (caller == null && ctx.statusCode() >= 400) { // refused, and nobody signed in: a budget (above)
            AnonymousAuditBudget.Decision d = anonymous.take(ctx.ip());
            if (d.leftOutLastMinute() > 0) {
                log.warn("audit: {} more state-changing calls without a signed-in caller from {} in the minute before "
                        + "were not recorded one by one", d.leftOutLastMinute(), ctx.ip());
            }
            if (!d.record()) {
                if (d.firstLeftOut()) {
                    log.warn("audit: over {} state-changing calls without a signed-in caller from {} this minute "
                            + "(or {} from all addresses): the rest of the minute's are counted, not recorded",
                            AnonymousAuditBudget.PER_ADDRESS, ctx.ip(), AnonymousAuditBudget.TOTAL);
                }
                return;
            }
        }
        String path = ctx.path();
        String project = null;
        java.util.regex.Matcher m = PROJECT_IN_PATH.matcher(path);
        if (m.find()) {
            project = m.group(1);
        } else {
            project = ctx.attribute(AUDIT_PROJECT);
        }
        String userName = caller != null ? caller.userName() : ctx.attribute(AUDIT_USER);
        String error = ctx.attribute(ERROR_WRITTEN);
        try {
            // strictly increasing within a server, so that entries of one millisecond keep their order
            long at = LAST_AUDIT_AT.updateAndGet(prev -> Math.max(System.currentTimeMillis(), prev + 1));
            identity.record(new AuditStore.AuditEvent(ctx.attribute("request-id"), at,
                    caller == null ? null : caller.userId(), userName, caller == null ? null : caller.credential(),
                    ctx.ip(), ctx.method().name(), path, project, ctx.statusCode(), error));
        } catch (RuntimeException e) {
            log.error("request {} {} {}: cannot write its audit entry", ctx.attribute("request-id"), ctx.method(),
                    path, e);
            if (ctx.statusCode() < 400) {
                // an unaudited change must not look like a success to the client
                writeError(ctx, ErrorCode.UNAVAILABLE, "the change was made but could not be audited; "
                        + "the service's database is unavailable");
            }
        }
    }

}
