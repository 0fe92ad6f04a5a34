package dev.atelier.api.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Workspace;
import dev.atelier.core.service.WorkspaceService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/**
 * Workspaces and their quotas (reference §2.23, and the workspace API's create, show and quota update): members
 * list and read them, the project's administrators create workspaces and set quotas.
 */
public final class WorkspaceRoutes implements RouteModule {
    private static final int DEFAULT_LIMIT = 1000;

    private final WorkspaceService workspaces;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper = Json.mapper();

    public WorkspaceRoutes(WorkspaceService workspaces) {
        this.workspaces = workspaces;
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    record WorkspaceView(String id, String name, String description, String owner, String authType,
                         String enterpriseProjectId, String enterpriseProjectName, String status, String statusInfo,
                         long createTime, long updateTime) {
    }

    record WorkspaceList(long totalCount, int count, List<WorkspaceView> workspaces) {
    }

    /** {@code used_quota} is null where there is no limit, as the reference shows it. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    record QuotaView(String resource, String nameEn, String nameCn, String unitEn, String unitCn, long quota,
                     Long usedQuota, long minQuota, long maxQuota, long updateTime) {
    }

    @Override
    public void register(RoutesConfig routes) {
        String base = "/v1/{project_id}/workspaces";
        routes.get(base, Requests.secured(this::list));
        routes.post(base, Requests.secured(ctx -> {
            RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
            ctx.json(view(workspaces.create(Requests.caller(ctx), ctx.pathParam("project_id"), body.string("name"),
                    body.string("description"), body.string("auth_type"))));
        }));
        routes.get(base + "/{workspace_id}", Requests.secured(ctx -> ctx.json(view(workspaces.show(
                ctx.pathParam("project_id"), ctx.pathParam("workspace_id"))))));
        routes.get(base + "/{workspace_id}/quotas", Requests.secured(ctx -> ctx.json(quotas(workspaces.quotas(
                ctx.pathParam("project_id"), ctx.pathParam("workspace_id"))))));
        routes.put(base + "/{workspace_id}/quotas", Requests.secured(this::setQuotas));
    }

    private void list(Context ctx) {
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", DEFAULT_LIMIT, 1, Integer.MAX_VALUE);
        var page = workspaces.list(ctx.pathParam("project_id"), Requests.query(ctx, "name"),
                Requests.query(ctx, "sort_by"), Requests.query(ctx, "order"), offset, limit);
        List<WorkspaceView> items = page.items().stream().map(WorkspaceRoutes::view).toList();
        ctx.json(new WorkspaceList(page.total(), items.size(), items));
    }

    private void setQuotas(Context ctx) {
        List<RequestBody> asked = RequestBody.parse(mapper, ctx.bodyAsBytes()).objects("quotas");
        if (asked.isEmpty()) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "quotas is required: {\"quotas\": [{\"resource\": "
                    + "\"" + WorkspaceService.NOTEBOOKS + "\", \"quota\": 10}]}");
        }
        List<WorkspaceService.QuotaView> now = List.of();
        for (RequestBody q : asked) {
            now = workspaces.setQuota(Requests.caller(ctx), ctx.pathParam("project_id"), ctx.pathParam("workspace_id"),
                    q.string("resource"), q.longValue("quota"));
        }
        ctx.json(quotas(now));
    }

    static WorkspaceView view(Workspace w) {
        return new WorkspaceView(w.id(), w.name(), w.description(), w.ownerId(), w.authType(), "0", "default",
                "NORMAL", "", w.createTime(), w.updateTime());
    }

    private static Map<String, List<QuotaView>> quotas(List<WorkspaceService.QuotaView> quotas) {
        return Map.of("quotas", quotas.stream().map(q -> new QuotaView(q.resource(), "Notebook instances",
                "Notebook实例", "instances", "个", q.limit(), q.used(), -1, WorkspaceService.MAX_QUOTA,
                q.updateTime())).toList());
    }
}
