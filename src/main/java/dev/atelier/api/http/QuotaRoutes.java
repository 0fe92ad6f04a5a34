package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.service.Quotas;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Quotas on what runs at once and on use per month, under the administration API: {@code /admin/v1/projects/{project}/quotas} and
 * {@code …/users/{user}/quotas} (names or ids). Read by the service administrator, the project's administrators and
 * (their own) its users; set by the service administrator:
 * {@code {"quotas": {"vcpus": 16, "gpus": -1, "gpu_hours": 200}}}.
 */
public final class QuotaRoutes implements RouteModule {
    private static final String BASE = "/admin/v1/projects/{project}";

    private final Quotas quotas;
    private final IdentityService identity;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper = Json.mapper();

    public QuotaRoutes(Quotas quotas, IdentityService identity) {
        this.quotas = quotas;
        this.identity = identity;
    }

    /** A quota: its limit ({@code -1}: none) and its use: what runs of it now, or hours used this month. */
    record QuotaView(String resource, long limit, Number used) {
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get(BASE + "/quotas", ctx -> {
            Caller caller = Requests.authenticated(ctx);
            String project = identity.project(caller, ctx.pathParam("project")).id();
            caller.requireProjectAdministrator(project, "see the project's quotas");
            ctx.json(view(quotas.usage(project, null)));
        });
        routes.put(BASE + "/quotas", ctx -> {
            Caller caller = Requests.authenticated(ctx);
            String project = identity.project(caller, ctx.pathParam("project")).id();
            ctx.json(view(quotas.set(caller, project, null, limits(ctx))));
        });
        routes.get(BASE + "/users/{user}/quotas", ctx -> {
            Caller caller = Requests.authenticated(ctx);
            String project = identity.project(caller, ctx.pathParam("project")).id();
            String user = identity.user(caller, ctx.pathParam("user")).id();
            ctx.json(view(quotas.usage(project, user)));
        });
        routes.put(BASE + "/users/{user}/quotas", ctx -> {
            Caller caller = Requests.authenticated(ctx);
            caller.requireServiceAdministrator("set quotas");
            String project = identity.project(caller, ctx.pathParam("project")).id();
            String user = identity.user(caller, ctx.pathParam("user")).id();
            ctx.json(view(quotas.set(caller, project, user, limits(ctx))));
        });
    }

    private Map<String, Long> limits(Context ctx) {
        RequestBody quotasObject = RequestBody.parse(mapper, ctx.bodyAsBytes()).object("quotas");
        if (quotasObject == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "quotas is required: {\"quotas\": {\"vcpus\": 16,"
                    + " \"instances\": 4}} (-1: no limit)");
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (String resource : quotasObject.fieldNames()) {
            out.put(resource, quotasObject.longValue(resource));
        }
        return out;
    }

    private static Map<String, List<QuotaView>> view(List<Quotas.Usage> usage) {
        return Map.of("quotas", usage.stream().map(u -> new QuotaView(u.resource(), u.limit(), u.used())).toList());
    }
}
