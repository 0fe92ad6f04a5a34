package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Pool;
import dev.atelier.core.model.WorkspaceId;
import dev.atelier.core.service.Catalog;
import dev.atelier.core.service.Pools;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The resource pools as the authoring-cluster API shows them (reference §2.22): the public pool and the dedicated
 * pools of the caller's project, each with its flavors and whether each is sold out there.
 */
public final class ClusterRoutes implements RouteModule {
    private static final int DEFAULT_LIMIT = 1000;

    private final Pools pools;
    private final Catalog catalog;

    public ClusterRoutes(Pools pools, Catalog catalog) {
        this.pools = pools;
        this.catalog = catalog;
    }

    /** Field names and types as clients read them: timestamps and {@code memory} are strings here. */
    record ClusterResponse(String logicClusterId, String poolId, String name, String status, String type,
                           String resourceCategories, String workspaceId, String createAt, String updateAt,
                           String projectId, String domainId, boolean isAllowRoot, List<ClusterFlavor> flavors) {
    }

    record ClusterFlavor(String id, String name, String arch, String category, String description, String feature,
                         boolean free, boolean soldOut, int vcpus, String memory, List<String> storages,
                         Map<String, Object> billing, ClusterGpu gpu, Views.AscendView ascend, String evsMaxSize) {
    }

    record ClusterGpu(String type, double gpu, String gpuMemory) {
    }

    @Override
    public void register(RoutesConfig routes) {
        String base = "/v1/{project_id}/authoring/clusters";
        routes.get(base, Requests.secured(this::list));
        routes.get(base + "/{cluster_id}", Requests.secured(ctx -> {
            String project = ctx.pathParam("project_id");
            Pool pool = pools.find(ctx.pathParam("cluster_id")).filter(p -> p.openTo(project))
                    .orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND, "cluster "
                            + ctx.pathParam("cluster_id") + " does not exist"));
            ctx.json(view(pool, project));
        }));
    }

    private void list(Context ctx) {
        String type = Requests.query(ctx, "type");
        if (type == null || !List.of("MANAGED", "DEDICATED").contains(type.toUpperCase(Locale.ROOT))) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "type must be MANAGED or DEDICATED");
        }
        String scope = Requests.query(ctx, "scope");
        if (scope != null && !List.of("NOTEBOOK", "TRAIN", "INFER").contains(scope.toUpperCase(Locale.ROOT))) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "scope must be NOTEBOOK, TRAIN or INFER");
        }
        String workspace = WorkspaceId.check(Requests.query(ctx, "workspace_id"), ErrorCode.INVALID_PARAMETER);
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", DEFAULT_LIMIT, 0, Integer.MAX_VALUE);
        String project = ctx.pathParam("project_id");
        // pools serve notebooks only, in the default workspace
        boolean notebooks = scope == null || scope.equalsIgnoreCase("NOTEBOOK");
        List<ClusterResponse> all = !notebooks || !workspace.equals(WorkspaceId.DEFAULT) ? List.of()
                : pools.all().stream().filter(p -> p.type().name().equalsIgnoreCase(type) && p.openTo(project))
                .map(p -> view(p, project)).toList();
        ctx.json(Views.Page.of(Requests.page(all, offset, limit), offset, Math.max(limit, 1), all.size()));
    }

    private ClusterResponse view(Pool pool, String projectId) {
        List<Flavor> flavors = catalog.flavors().stream().filter(pool::offers).toList();
        String category = flavors.stream().anyMatch(f -> f.category().equals("ASCEND")) ? "ASCEND"
                : flavors.stream().anyMatch(f -> f.category().equals("GPU")) ? "GPU" : "CPU";
        String created = Long.toString(pool.createAt());
        return new ClusterResponse(pool.id(), pool.id(), pool.name(), "ACTIVE", pool.type().name(), category,
                WorkspaceId.DEFAULT, created, created, projectId, null, false,
                flavors.stream().map(f -> flavor(f, pool)).toList());
    }

    private ClusterFlavor flavor(Flavor f, Pool pool) {
        var a = f.ascend();
        return new ClusterFlavor(f.id(), f.name(), f.arch(), f.category(), f.description(), f.feature().name(),
                f.free(), pools.asSoldIn(pool.id(), f).soldOut(), f.vcpus(), Long.toString(f.memoryMib() * 1024),
                f.storages(), Map.of("code", f.id(), "unit_num", 1),
                f.gpu() == null ? null : new ClusterGpu(f.gpu().type(), f.gpu().count(), f.gpu().memory()),
                a == null ? null : new Views.AscendView(a.npu(), a.npuMemory(), a.type(), a.aiCore(), a.aiCpu(),
                        a.typeAlias()), Integer.toString(f.evsMaxSizeGb()));
    }
}
