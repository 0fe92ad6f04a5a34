package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.port.InstanceStore.InstancePage;
import dev.atelier.core.service.Catalog;
import dev.atelier.core.service.CreateInstance;
import dev.atelier.core.service.InstanceService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The v1 notebooks, flavors and images routes (reference §2): a thin view over {@link InstanceService}. */
public final class NotebookRoutes {
    private static final int DEFAULT_NOTEBOOK_LIMIT = 10;
    private static final int MAX_LIMIT = 1000;
    private static final int DEFAULT_IMAGE_LIMIT = 200;

    private final InstanceService instances;
    private final Catalog catalog;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper = Json.mapper();

    public NotebookRoutes(InstanceService instances, Catalog catalog) {
        this.instances = instances;
        this.catalog = catalog;
    }

    void register(RoutesConfig routes) {
        String base = "/v1/{project_id}";
        routes.get(base + "/notebooks/flavors", HttpApi.secured(this::listFlavors));
        routes.post(base + "/notebooks", this::create);
        routes.get(base + "/notebooks", HttpApi.secured(this::list));
        routes.get(base + "/notebooks/{id}", HttpApi.secured(this::show));
        routes.delete(base + "/notebooks/{id}", HttpApi.secured(this::delete));
        routes.get(base + "/images", HttpApi.secured(this::listImages));
    }

    private void create(Context ctx) {
        Caller caller = HttpApi.caller(ctx);
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        String name = body.string("name");
        String description = body.string("description");
        String feature = body.string("feature");
        String flavor = body.string("flavor");
        String imageId = body.string("image_id");
        String workspaceId = body.string("workspace_id");
        String poolId = body.string("pool_id");
        RequestBody volume = body.object("volume");
        Long duration = body.longValue("duration");
        RequestBody lease = body.object("lease");
        String leaseType = null;
        if (duration == null && lease != null) {
            duration = lease.longValue("duration");
            leaseType = lease.string("type");
        }
        boolean ssh = body.objects("endpoints").stream()
                .anyMatch(e -> "SSH".equalsIgnoreCase(e.string("service")));
        CreateInstance req = new CreateInstance(name, description, feature, flavor, imageId, workspaceId,
                volume != null, volume == null ? null : volume.string("category"),
                volume == null ? null : volume.string("ownership"), volume == null ? null : volume.integer("capacity"),
                duration, leaseType, ssh, poolId);
        Instance created = instances.create(caller, ctx.pathParam("project_id"), req);
        ctx.json(view(created));
    }

    private void list(Context ctx) {
        int offset = intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(ctx, "limit", DEFAULT_NOTEBOOK_LIMIT, 1, MAX_LIMIT);
        String name = ctx.queryParam("name");
        if (name != null && name.length() > 128) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "name must be at most 128 characters");
        }
        String statusParam = ctx.queryParam("status");
        InstanceStatus status = null;
        if (statusParam != null && !statusParam.isEmpty()) {
            status = InstanceStatus.parse(statusParam);
            if (status == null) {
                throw new AtelierException(ErrorCode.INVALID_PARAMETER, "status must be one of "
                        + Arrays.toString(InstanceStatus.values()));
            }
        }
        InstancePage page = instances.list(ctx.pathParam("project_id"), name == null || name.isEmpty() ? null : name,
                status, offset, limit);
        ctx.json(Views.Page.of(page.items().stream().map(this::view).toList(), offset, limit, page.total()));
    }

    private void show(Context ctx) {
        ctx.json(view(instances.show(ctx.pathParam("project_id"), ctx.pathParam("id"))));
    }

    private void delete(Context ctx) {
        ctx.json(view(instances.delete(ctx.pathParam("project_id"), ctx.pathParam("id"))));
    }

    private void listFlavors(Context ctx) {
        String category = ctx.queryParam("category");
        if (category != null && !List.of("CPU", "GPU", "ASCEND").contains(category.toUpperCase(Locale.ROOT))) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "category must be CPU, GPU or ASCEND");
        }
        var all = catalog.flavors().stream()
                .filter(f -> category == null || f.category().equalsIgnoreCase(category))
                .map(Views::flavor).toList();
        int offset = intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(ctx, "limit", Math.max(all.size(), 1), 1, Integer.MAX_VALUE);
        ctx.json(Views.Page.of(page(all, offset, limit), offset, limit, all.size()).withFlavors());
    }

    private void listImages(Context ctx) {
        int offset = intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = intParam(ctx, "limit", DEFAULT_IMAGE_LIMIT, 1, Integer.MAX_VALUE);
        var all = catalog.images().stream().map(Views::image).toList();
        ctx.json(Views.Page.of(page(all, offset, limit), offset, limit, all.size()));
    }

    private Views.NotebookResp view(Instance i) {
        Image image = catalog.image(i.imageId()).orElse(null);
        return Views.notebook(i, image);
    }

    private static <T> List<T> page(List<T> all, int offset, int limit) {
        if (offset >= all.size()) {
            return List.of();
        }
        return all.subList(offset, (int) Math.min(all.size(), (long) offset + limit));
    }

    private static int intParam(Context ctx, String name, int defaultValue, int min, int max) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return defaultValue;
        }
        try {
            int v = Integer.parseInt(raw);
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, name + " must be an integer between " + min
                    + " and " + max);
        }
    }
}
