package dev.atelier.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.port.AuditStore.AuditEvent;
import dev.atelier.core.port.IdentityStore.AccessKeyRecord;
import dev.atelier.core.port.IdentityStore.Member;
import dev.atelier.core.port.IdentityStore.Project;
import dev.atelier.core.port.IdentityStore.User;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.service.SignIns;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sign-in ({@code POST /v3/auth/tokens}, the IAM call Huawei clients make) and the administration API under
 * {@code /admin/v1}: users, projects, members, access keys and the audit log.
 */
public final class IdentityRoutes implements RouteModule {
    static final String ADMIN = "/admin/v1";
    private static final DateTimeFormatter IAM_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final int MAX_AUDIT_LIMIT = 1000;

    private final IdentityService identity;
    private final SignIns signIns;
    private final ObjectMapper mapper = Json.mapper();

    public IdentityRoutes(IdentityService identity, SignIns signIns) {
        this.identity = identity;
        this.signIns = signIns;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.post("/v3/auth/tokens", this::signIn);

        routes.get(ADMIN + "/whoami", ctx -> ctx.json(whoami(Requests.authenticated(ctx))));
        routes.get(ADMIN + "/users", ctx -> ctx.json(Map.of("users",
                identity.users(Requests.authenticated(ctx)).stream().map(IdentityRoutes::user).toList())));
        routes.post(ADMIN + "/users", ctx -> {
            RequestBody body = body(ctx);
            User u = identity.createUser(Requests.authenticated(ctx), body.string("name"), body.string("password"),
                    Boolean.TRUE.equals(body.bool("service_admin")));
            ctx.status(201).json(user(u));
        });
        routes.get(ADMIN + "/users/{user}", ctx -> ctx.json(user(identity.user(Requests.authenticated(ctx),
                ctx.pathParam("user")))));
        routes.put(ADMIN + "/users/{user}", ctx -> {
            RequestBody body = body(ctx);
            ctx.json(user(identity.updateUser(Requests.authenticated(ctx), ctx.pathParam("user"),
                    body.bool("enabled"), body.string("password"), body.bool("service_admin"),
                    body.string("old_password"), Requests.token(ctx))));
        });
        routes.delete(ADMIN + "/users/{user}", ctx -> ctx.json(user(identity.deleteUser(Requests.authenticated(ctx),
                ctx.pathParam("user")))));

        routes.get(ADMIN + "/users/{user}/keys", ctx -> ctx.json(Map.of("keys", identity.keys(
                Requests.authenticated(ctx), ctx.pathParam("user")).stream().map(IdentityRoutes::key).toList())));
        routes.post(ADMIN + "/users/{user}/keys", ctx -> {
            IdentityService.NewKey k = identity.createKey(Requests.authenticated(ctx), ctx.pathParam("user"),
                    body(ctx).string("description"));
            Map<String, Object> view = key(k.record());
            view.put("secret_key", k.secretKey()); // shown this once; only a sealed copy is kept
            ctx.status(201).json(view);
        });
        routes.put(ADMIN + "/users/{user}/keys/{access_key}", ctx -> {
            Boolean enabled = body(ctx).bool("enabled");
            if (enabled == null) {
                throw new AtelierException(ErrorCode.MISSING_PROPERTY, "enabled (true or false) is required");
            }
            ctx.json(key(identity.setKeyEnabled(Requests.authenticated(ctx), ctx.pathParam("user"),
                    ctx.pathParam("access_key"), enabled)));
        });
        routes.delete(ADMIN + "/users/{user}/keys/{access_key}", ctx -> ctx.json(key(identity.deleteKey(
                Requests.authenticated(ctx), ctx.pathParam("user"), ctx.pathParam("access_key")))));

        routes.get(ADMIN + "/projects", ctx -> ctx.json(Map.of("projects",
                identity.projects(Requests.authenticated(ctx)).stream().map(IdentityRoutes::project).toList())));
        routes.post(ADMIN + "/projects", ctx -> ctx.status(201).json(project(identity.createProject(
                Requests.authenticated(ctx), body(ctx).string("name")))));
        routes.get(ADMIN + "/projects/{project}", ctx -> ctx.json(project(identity.project(
                Requests.authenticated(ctx), ctx.pathParam("project")))));
        routes.delete(ADMIN + "/projects/{project}", ctx -> ctx.json(project(identity.deleteProject(
                Requests.authenticated(ctx), ctx.pathParam("project")))));
        routes.get(ADMIN + "/projects/{project}/members", ctx -> ctx.json(Map.of("members", identity.members(
                Requests.authenticated(ctx), ctx.pathParam("project")).stream().map(IdentityRoutes::member).toList())));
        routes.put(ADMIN + "/projects/{project}/members/{user}", ctx -> ctx.json(member(identity.setMember(
                Requests.authenticated(ctx), ctx.pathParam("project"), ctx.pathParam("user"),
                body(ctx).string("role")))));
        routes.delete(ADMIN + "/projects/{project}/members/{user}", ctx -> ctx.json(member(identity.removeMember(
                Requests.authenticated(ctx), ctx.pathParam("project"), ctx.pathParam("user")))));

        routes.get(ADMIN + "/audit", this::audit);
    }

    private void signIn(Context ctx) {
        // anyone may send this: read only a small body, and refuse a larger one before reading it
        RequestBody auth = RequestBody.parseOrEmpty(mapper, Requests.boundedBody(ctx, HttpApi.MAX_ANONYMOUS_BODY_BYTES))
                .object("auth");
        RequestBody identityBody = auth == null ? null : auth.object("identity");
        if (identityBody == null || !identityBody.strings("methods").contains("password")) {
            throw new AtelierException(ErrorCode.INVALID_PAYLOAD,
                    "auth.identity.methods must include \"password\" (the only method this server offers)");
        }
        RequestBody password = identityBody.object("password");
        RequestBody user = password == null ? null : password.object("user");
        String who = user == null ? null : user.string("id") != null ? user.string("id") : user.string("name");
        ctx.attribute(HttpApi.AUDIT_USER, who);
        RequestBody scope = auth.object("scope");
        RequestBody project = scope == null ? null : scope.object("project");
        String projectIdOrName = project == null ? null
                : project.string("id") != null ? project.string("id") : project.string("name");
        SignIns.IssuedToken t = signIns.signIn(who, user == null ? null : user.string("password"),
                projectIdOrName, ctx.ip());
        ctx.attribute(HttpApi.AUDIT_USER, t.user().name());
        Map<String, Object> domain = Map.of("id", "default", "name", "default");
        Map<String, Object> token = new LinkedHashMap<>();
        token.put("methods", List.of("password"));
        token.put("expires_at", IAM_TIME.format(Instant.ofEpochMilli(t.expiresAt())));
        token.put("issued_at", IAM_TIME.format(Instant.ofEpochMilli(t.issuedAt())));
        token.put("user", Map.of("id", t.user().id(), "name", t.user().name(), "domain", domain));
        token.put("project", Map.of("id", t.project().id(), "name", t.project().name(), "domain", domain));
        token.put("roles", List.of(Map.of("id", t.role(), "name", t.role())));
        token.put("catalog", List.of());
        ctx.header("X-Subject-Token", t.token());
        ctx.status(201).json(Map.of("token", token));
    }

    private void audit(Context ctx) {
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", 100, 1, MAX_AUDIT_LIMIT);
        List<AuditEvent> events = identity.audit(Requests.authenticated(ctx), Requests.query(ctx, "project"),
                Requests.query(ctx, "user"), time(ctx, "since"), time(ctx, "until"), offset, limit);
        ctx.json(Map.of("events", events.stream().map(IdentityRoutes::event).toList(), "offset", offset,
                "limit", limit));
    }

    private static Long time(Context ctx, String name) {
        String v = Requests.query(ctx, name);
        if (v == null) {
            return null;
        }
        try {
            return dev.atelier.core.AsciiNumbers.digits(v) ? dev.atelier.core.AsciiNumbers.parseLong(v) : Instant.parse(v).toEpochMilli();
        } catch (RuntimeException e) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, name + " must be milliseconds since the epoch "
                    + "or an ISO-8601 instant such as 2026-01-31T12:00:00Z");
        }
    }

    private RequestBody body(Context ctx) {
        return RequestBody.parseOrEmpty(mapper, ctx.bodyAsBytes());
    }

    static Map<String, Object> whoami(Caller c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user_id", c.userId());
        m.put("user_name", c.userName());
        m.put("service_admin", c.serviceAdmin());
        m.put("projects", c.roles());
        if (c.tokenProject() != null) {
            m.put("token_project", c.tokenProject());
        }
        return m;
    }

    public static Map<String, Object> user(User u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", u.id());
        m.put("name", u.name());
        m.put("service_admin", u.serviceAdmin());
        m.put("enabled", u.enabled());
        m.put("has_password", u.passwordHash() != null);
        m.put("created_at", u.createdAt());
        return m;
    }

    public static Map<String, Object> key(AccessKeyRecord k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("access_key", k.accessKey());
        m.put("user_id", k.userId());
        m.put("enabled", k.enabled());
        m.put("description", k.description());
        m.put("created_at", k.createdAt());
        return m;
    }

    public static Map<String, Object> project(Project p) {
        return Map.of("id", p.id(), "name", p.name(), "created_at", p.createdAt());
    }

    public static Map<String, Object> member(Member m) {
        return Map.of("project_id", m.projectId(), "user_id", m.userId(), "user_name", m.userName(),
                "role", m.role());
    }

    public static Map<String, Object> event(AuditEvent e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("request_id", e.requestId());
        m.put("at", e.at());
        m.put("user_id", e.userId());
        m.put("user_name", e.userName());
        m.put("credential", e.credential());
        m.put("address", e.address());
        m.put("method", e.method());
        m.put("path", e.path());
        m.put("project_id", e.projectId());
        m.put("status", e.status());
        m.put("error_code", e.errorCode());
        return m;
    }
}
