package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.service.InstanceService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves every running instance's notebook under Atelier's own port, at {@code /notebook/<id>/…}, the path its
 * Jupyter server already has as base URL, so nothing is rewritten: HTTP is relayed by {@link HttpRelay} and
 * WebSockets (kernels, terminals) frame by frame. Jupyter stays on 127.0.0.1 and is reached with the instance
 * token; the gateway decides who gets there:
 * <ul>
 *   <li>the instance token, as {@code ?token=} once (answered with a cookie scoped to the instance's path and a
 *       redirect to the same URL without the token) or as {@code Authorization: token …} (Jupyter's clients);
 *   <li>the cookie, an HMAC of the instance id and its current token: a new token (every start) ends it;
 *   <li>the owner's (or a project administrator's) API credentials: a token or an AK/SK signature.
 * </ul>
 * Requests that the cookie authenticates must come from the same site: unsafe methods need Jupyter's
 * {@code X-XSRFToken} header to match its {@code _xsrf} cookie, and a cross-origin {@code Origin} is refused,
 * for WebSockets too (JupyterHub's web-security guidance).
 */
public final class NotebookGateway implements RouteModule, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NotebookGateway.class);
    public static final String PREFIX = "/notebook/";
    static final String COOKIE_PREFIX = "atelier-notebook-";
    private static final Set<String> UNSAFE = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final String BODY_READ = "atelier.gateway.body-read";

    private final InstanceService instances;
    private final Authenticator authenticator;
    private final byte[] cookieKey;
    private final Supplier<String> publicBase;
    private final dev.atelier.core.service.Activity activity;
    private final GatewayTraffic traffic = new GatewayTraffic();
    private final HttpRelay http = new HttpRelay(traffic);
    private final GatewaySockets sockets;

    private final String notebookDomain;

    /** Where this server reaches notebooks, where the runtime says it is not at their recorded addresses. */
    private volatile dev.atelier.core.port.NotebookAddresses addresses;

    /**
     * {@code notebookDomain}, when not null, gives every instance a host of its own:
     * {@code <instance-id>.<notebookDomain>}, and the gateway answers an instance's paths on that host only.
     */
    public NotebookGateway(InstanceService instances, Authenticator authenticator, byte[] cookieKey,
                           Supplier<String> publicBase, String notebookDomain,
                           dev.atelier.core.service.Activity activity) {
        this.notebookDomain = notebookDomain;
        this.activity = activity;
        this.sockets = new GatewaySockets(traffic, activity);
        this.instances = instances;
        this.authenticator = authenticator;
        this.cookieKey = cookieKey.clone();
        this.publicBase = publicBase;
    }

    /** The public URL of an instance's notebook (its tree page), or null when it has no notebook server. */
    public String publicUrl(Instance i) {
        if (i.url() == null) {
            return null;
        }
        if (notebookDomain == null) {
            return publicBase.get() + PREFIX + i.id() + "/tree";
        }
        return publicUrlOf(i.id()) + PREFIX + i.id() + "/tree";
    }

    @Override
    public void register(RoutesConfig routes) {
        String path = PREFIX + "{id}/<rest>";
        for (HandlerType method : List.of(HandlerType.GET, HandlerType.POST, HandlerType.PUT, HandlerType.PATCH,
                HandlerType.DELETE, HandlerType.HEAD, HandlerType.OPTIONS)) {
            routes.addHttpHandler(method, path, this::proxy);
        }
        routes.get(PREFIX + "{id}", ctx -> ctx.redirect(PREFIX + ctx.pathParam("id") + "/tree"));
        routes.wsBeforeUpgrade(path, this::beforeUpgrade);
        routes.ws(path, sockets::relay);
    }

    // ---- who may pass ---------------------------------------------------------------------------------------

    /** The running instance the request may reach, or an error that says why not. */
    private Instance admit(Context ctx, boolean webSocket) {
        String id = dev.atelier.api.InstanceIds.canonical(ctx.pathParam("id"));
        if (notebookDomain != null) {
            String host = ctx.header("Host") == null ? "" : ctx.header("Host").toLowerCase(Locale.ROOT);
            int colon = portColon(host);
            if (colon >= 0) {
                host = host.substring(0, colon);
            }
            if (!host.equals(id + "." + notebookDomain)) {
                // each notebook answers on its own host only, where no other instance's page can reach it
                throw new GatewayRefusal(404, ErrorCode.ROUTE_NOT_FOUND, "notebook " + id + " is served at "
                        + id + "." + notebookDomain + " only");
            }
        }
        Instance inst = lookup(id);
        String token = inst.token();
        String queryToken = ctx.queryParam("token");
        String header = ctx.header("Authorization");
        boolean byToken = queryToken != null && same(queryToken, token)
                || header != null && header.regionMatches(true, 0, "token ", 0, 6)
                && same(header.substring(6).trim(), token);
        boolean byCookie = !byToken && same(ctx.cookie(COOKIE_PREFIX + inst.id()), cookieValue(inst));
        if (!byToken && !byCookie) {
            ownerCredentials(ctx, inst);
        }
        if (byCookie && !sameOrigin(ctx) && !publicOrigin(ctx, inst)) {
            throw new GatewayRefusal(403, ErrorCode.FORBIDDEN, "a request from another site may not use this "
                    + "notebook's cookie");
        }
        if (byCookie && !webSocket && UNSAFE.contains(ctx.method().name())) {
            String xsrf = ctx.cookie("_xsrf");
            if (xsrf == null || !same(ctx.header("X-XSRFToken"), xsrf)) {
                throw new GatewayRefusal(403, ErrorCode.FORBIDDEN, "missing or wrong X-XSRFToken header");
            }
        }
        if (inst.status() != InstanceStatus.RUNNING || inst.url() == null) {
            boolean coming = inst.status() == InstanceStatus.CREATING || inst.status() == InstanceStatus.STARTING
                    || inst.status() == InstanceStatus.INIT;
            throw new GatewayRefusal(503, ErrorCode.NOT_RUNNING, "instance " + inst.id() + " is "
                    + inst.status() + (coming ? "; its notebook will be here in a moment" : "; start it first"))
                    .retryAfter(coming ? 3 : 0);
        }
        if (queryToken != null && byToken) {
            ctx.cookie(cookie(ctx, inst));
        }
        return inst;
    }

    /**
     * The instance, from the read model: a notebook page makes many requests, and most are answered from memory.
     * A stop, a restart (new token) or a deletion made through this server is seen by the next request; one made
     * through another replica within the change feed's interval.
     */
    private Instance lookup(String id) {
        try {
            return instances.gatewayInstance(id);
        } catch (AtelierException e) {
            throw new GatewayRefusal(404, ErrorCode.ROUTE_NOT_FOUND, "no notebook instance " + id);
        }
    }

    private void ownerCredentials(Context ctx, Instance inst) {
        boolean hasCredentials = ctx.header("X-Auth-Token") != null || ctx.header("Authorization") != null;
        if (!hasCredentials) {
            throw new GatewayRefusal(401, ErrorCode.AUTH_MISSING, "open the notebook with its token "
                    + "(?token=…, as the API's url and token give it) or send the owner's credentials");
        }
        // a signature covers the body: read it once a signature is to be checked (it is then relayed from memory,
        // see proxy)
        String authorization = ctx.header("Authorization");
        java.util.function.Supplier<byte[]> body = () -> {
            if (authorization == null || !authorization.startsWith("SDK-") || ctx.req().getContentLengthLong() == 0) {
                return new byte[0];
            }
            ctx.attribute(BODY_READ, true);
            return ctx.bodyAsBytes();
        };
        Caller caller = authenticator.authenticate(Requests.signedRequest(ctx, body), ctx.ip());
        caller.requireProject(inst.projectId());
        caller.requireOwnerOrAdministrator(inst.projectId(), inst.ownerId(), "instance " + inst.id());
    }

    /** Whether the Origin is the instance's public one (behind a proxy the Host header may be another). */
    private boolean publicOrigin(Context ctx, Instance inst) {
        String origin = ctx.header("Origin");
        if (origin == null || origin.equals("null")) {
            return false;
        }
        try {
            URI o = URI.create(origin);
            URI p = URI.create(notebookDomain == null ? publicBase.get() : publicUrlOf(inst.id()));
            return o.getScheme() != null && o.getScheme().equalsIgnoreCase(p.getScheme()) && o.getHost() != null
                    && o.getHost().equalsIgnoreCase(p.getHost()) && port(o) == port(p);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private String publicUrlOf(String id) {
        URI base = URI.create(publicBase.get());
        return base.getScheme() + "://" + id + "." + notebookDomain + (base.getPort() < 0 ? "" : ":" + base.getPort());
    }

    /** Where a Host header's port begins (its colon), or -1 when it names none; an IPv6 literal is in brackets. */
    private static int portColon(String host) {
        int colon = host.lastIndexOf(':');
        return colon > host.lastIndexOf(']') ? colon : -1;
    }

    private static boolean sameOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin == null || origin.equals("null")) {
            return origin == null; // no Origin: not a cross-site browser request; "null": sandboxed, refuse
        }
        try {
            URI o = URI.create(origin);
            String host = ctx.header("Host");
            if (host == null || o.getHost() == null) {
                return false;
            }
            // the whole authority, port included: another port of this host is another site's page
            int port = o.getPort() >= 0 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
            String h = host.toLowerCase(Locale.ROOT);
            int colon = portColon(h);
            boolean hasPort = colon >= 0;
            String hostName = hasPort ? h.substring(0, colon) : h;
            int hostPort = hasPort ? Integer.parseInt(h.substring(colon + 1)) : port == 443 || port == 80 ? port : -1;
            return hostName.equals(o.getHost().toLowerCase(Locale.ROOT)) && hostPort == port;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private io.javalin.http.Cookie cookie(Context ctx, Instance inst) {
        io.javalin.http.Cookie c = new io.javalin.http.Cookie(COOKIE_PREFIX + inst.id(), cookieValue(inst));
        c.setPath(PREFIX + inst.id() + "/");
        c.setHttpOnly(true);
        c.setSameSite(io.javalin.http.SameSite.LAX);
        String host = ctx.header("Host") == null ? "" : ctx.header("Host");
        c.setSecure(publicBase.get().startsWith("https:") || host.startsWith("127.0.0.1")
                || host.startsWith("localhost") || host.startsWith("[::1]"));
        return c;
    }

    /** Proves the holder opened the notebook with its current token, without being the token. */
    private String cookieValue(Instance inst) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cookieKey, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal((inst.id() + ":" + inst.token())
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean same(String a, String b) {
        return a != null && b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8),
                b.getBytes(StandardCharsets.UTF_8));
    }

    // ---- HTTP -----------------------------------------------------------------------------------------------

    /** The instance the request may reach; or null, once the refusal has been answered. */
    private Instance admitted(Context ctx, boolean webSocket) {
        try {
            return admit(ctx, webSocket);
        } catch (GatewayRefusal r) {
            GatewayRefusal.answer(ctx, r, webSocket);
        } catch (AtelierException e) { // from the owner's credentials
            GatewayRefusal.answer(ctx, new GatewayRefusal(WireCodes.v1(e.errorCode()).status(), e.errorCode(),
                    e.getMessage()), webSocket);
        }
        return null;
    }

    private void proxy(Context ctx) {
        Instance inst = admitted(ctx, false);
        if (inst == null) {
            return;
        }
        if (UserInput.isInput(ctx.method().name())) {
            activity.touch(inst.id()); // a save or a new kernel is someone at work; a page polling is not
        }
        String query = queryWithoutToken(ctx);
        if (ctx.queryParam("token") != null && isPage(ctx, inst)) {
            // the token leaves the address bar and the browser history: the cookie carries on. API clients
            // (Jupyter's own append ?token= to every call) are answered directly, as Jupyter does: they do not
            // send a cookie back, least of all a Secure one over plain HTTP
            ctx.redirect(ctx.path() + (query == null ? "" : "?" + query));
            return;
        }
        String base = reachable(ctx, inst, false);
        if (base == null) {
            return;
        }
        URI target = URI.create(base + rawRest(ctx, inst) + (query == null ? "" : "?" + query));
        String method = ctx.method().name();
        try {
            http.forward(ctx, target, inst.serverToken(), upstreamCookies(ctx, inst), ctx.attribute(BODY_READ) != null,
                    failure -> {
                        log.warn("gateway: instance {} did not answer {} {}: {}", inst.id(), method, ctx.path(),
                                failure.toString());
                        GatewayRefusal.answer(ctx, new GatewayRefusal(502, ErrorCode.UNAVAILABLE, "the notebook "
                                + "server of instance " + inst.id() + " did not answer; retry in a moment")
                                .retryAfter(3));
                    });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A page (not a call of Jupyter's REST API, which is under {@code api/}). */
    private static boolean isPage(Context ctx, Instance inst) {
        return ctx.method() == HandlerType.GET && !rawRest(ctx, inst).startsWith("api/");
    }

    /** The path after the instance prefix, as the client sent it (still percent-encoded). */
    private static String rawRest(Context ctx, Instance inst) {
        String uri = ctx.req().getRequestURI();
        int at = uri.indexOf('/', PREFIX.length());
        return at < 0 ? "" : uri.substring(at + 1);
    }

    private String upstreamBase(Instance inst) {
        String url; // http://127.0.0.1:<port>/notebook/<id>/tree
        try {
            url = addresses == null ? inst.url() : addresses.reach(inst.id(), inst.runtimeState(), inst.url());
        } catch (IOException e) {
            throw new GatewayRefusal(502, ErrorCode.NOT_RUNNING, "notebook " + inst.id()
                    + " cannot be reached: " + e.getMessage());
        }
        return url.substring(0, url.lastIndexOf('/') + 1);
    }

    /** The notebook's base URL; or null, once the refusal (it cannot be reached) has been answered. */
    private String reachable(Context ctx, Instance inst, boolean webSocket) {
        try {
            return upstreamBase(inst);
        } catch (GatewayRefusal r) {
            GatewayRefusal.answer(ctx, r, webSocket);
            return null;
        }
    }

    /** Stops relaying HTTP: once the server has stopped taking requests. */
    @Override
    public void close() {
        http.close();
    }

    /** What has passed through the gateway. */
    public GatewayTraffic traffic() {
        return traffic;
    }

    /** Where the runtime says this server reaches notebooks, where not at their recorded addresses. */
    public NotebookGateway reachingThrough(dev.atelier.core.port.NotebookAddresses value) {
        this.addresses = value;
        return this;
    }

    private static String queryWithoutToken(Context ctx) {
        String raw = ctx.req().getQueryString();
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        List<String> kept = new ArrayList<>();
        for (String pair : raw.split("&")) {
            String name = URLDecoder.decode(pair.split("=", 2)[0], StandardCharsets.UTF_8);
            if (!name.equals("token")) {
                kept.add(pair);
            }
        }
        return kept.isEmpty() ? null : String.join("&", kept);
    }

    /** The browser's cookies for Jupyter (its {@code _xsrf}), without the gateway's own. */
    private static String upstreamCookies(Context ctx, Instance inst) {
        List<String> kept = new ArrayList<>();
        ctx.cookieMap().forEach((name, value) -> {
            if (!name.startsWith(COOKIE_PREFIX)) {
                kept.add(name + "=" + value);
            }
        });
        return kept.isEmpty() ? null : String.join("; ", kept);
    }

    // ---- WebSocket ------------------------------------------------------------------------------------------

    /**
     * Admits a client's WebSocket handshake; {@link GatewaySockets} opens the notebook server's end before it is
     * answered.
     */
    private void beforeUpgrade(Context ctx) {
        Instance inst = admitted(ctx, true);
        if (inst == null) {
            ctx.skipRemainingHandlers();
            return;
        }
        String query = queryWithoutToken(ctx);
        String base = reachable(ctx, inst, true);
        if (base == null) {
            ctx.skipRemainingHandlers();
            return;
        }
        String upstream = base.replaceFirst("^http", "ws") + rawRest(ctx, inst)
                + (query == null ? "" : "?" + query);
        sockets.open(ctx, inst, upstream);
    }
}
