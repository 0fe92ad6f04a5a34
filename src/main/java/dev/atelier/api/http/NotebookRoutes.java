package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Instance;
import dev.atelier.core.port.InstanceStore.InstancePage;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import dev.atelier.core.service.Catalog;
import dev.atelier.core.service.CreateInstance;
import dev.atelier.core.service.InstanceService;
import dev.atelier.core.service.StorageService;
import dev.atelier.core.service.UpdateInstance;
import dev.atelier.core.port.KeyPairStore;
import dev.atelier.core.service.SshAccess;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.Locale;

/** The v1 notebooks, flavors and images routes (reference §2): a thin view over {@link InstanceService}. */
public final class NotebookRoutes implements RouteModule {

    private final InstanceService instances;
    private final Catalog catalog;
    private final StorageService storage;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper = Json.mapper();
    /** What show wrote last for each instance: SDKs poll show while an instance starts or stops. */
    private final RenderedJson shown = new RenderedJson(mapper, 4096);
    /** And what lists wrote (without the token): dashboards poll the same pages. */
    private final RenderedJson listed = new RenderedJson(mapper, 4096);

    private final SshAccess sshAccess;
    private final NotebookViews views;
    private final dev.atelier.core.service.Pools pools;

    public NotebookRoutes(InstanceService instances, Catalog catalog, StorageService storage, SshAccess sshAccess,
                          NotebookViews views, dev.atelier.core.service.Pools pools) {
        this.instances = instances;
        this.catalog = catalog;
        this.storage = storage;
        this.sshAccess = sshAccess;
        this.views = views;
        this.pools = pools;
    }

    @Override
    public void register(RoutesConfig routes) {
        String base = "/v1/{project_id}";
        routes.get(base + "/notebooks/flavors", Requests.secured(this::listFlavors));
        routes.get(base + "/notebooks/tags", Requests.secured(this::projectTags));
        routes.post(base + "/notebooks", this::create);
        routes.get(base + "/notebooks", ctx -> list(ctx, InstanceService.Scope.OWN));
        routes.get(base + "/notebooks/all", ctx -> list(ctx, InstanceService.Scope.PROJECT));
        routes.get(base + "/notebooks/{id}", own(this::show));
        routes.put(base + "/notebooks/{id}", own(this::update));
        routes.delete(base + "/notebooks/{id}", own(this::delete));
        routes.post(base + "/notebooks/{id}/start", own(this::start));
        routes.post(base + "/notebooks/{id}/stop", own(this::stop));
        routes.get(base + "/notebooks/{id}/lease", own(this::showLease));
        routes.patch(base + "/notebooks/{id}/lease", own(this::renewLease));
        routes.get(base + "/notebooks/{id}/flavors", own(this::switchableFlavors));
        routes.post(base + "/notebooks/{id}/tags/create", own(ctx -> changeTags(ctx, true)));
        routes.delete(base + "/notebooks/{id}/tags/delete", own(ctx -> changeTags(ctx, false)));
        routes.get(base + "/authoring/features/{feature}", Requests.secured(this::feature));
        routes.post(base + "/notebooks/{id}/create-image", own(this::saveImage));
        routes.post(base + "/notebooks/{id}/storage", own(this::attach));
        routes.get(base + "/notebooks/{id}/storage", own(ctx -> {
            var all = storage.list(ctx.pathParam("project_id"), Requests.instanceId(ctx)).stream().map(Views::mount).toList();
            ctx.json(Views.Page.of(all, 0, Math.max(all.size(), 1), all.size()));
        }));
        routes.get(base + "/notebooks/{id}/storage/{storage_id}", own(ctx -> ctx.json(Views.mount(
                storage.show(ctx.pathParam("project_id"), Requests.instanceId(ctx), ctx.pathParam("storage_id"))))));
        routes.delete(base + "/notebooks/{id}/storage/{storage_id}", own(ctx -> ctx.json(Views.mount(
                storage.detach(ctx.pathParam("project_id"), Requests.instanceId(ctx), ctx.pathParam("storage_id"))))));
    }

    /** Instance routes: the caller must own the instance or administer its project. */
    private io.javalin.http.Handler own(io.javalin.http.Handler h) {
        return Requests.ownInstance(instances, h);
    }

    private void create(Context ctx) {
        Caller caller = Requests.caller(ctx);
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
        refuseCustomSpec(body);
        RequestBody lease = body.object("lease");
        String leaseType = null;
        if (duration == null && lease != null) {
            duration = lease.longValue("duration");
            leaseType = lease.string("type");
        }
        KeyPairStore.SshEndpoint ssh = null;
        for (RequestBody e : body.objects("endpoints")) {
            String service = e.string("service") != null ? e.string("service") : e.string("dev_service");
            if ("SSH".equalsIgnoreCase(service)) {
                if (!views.sshEnabled()) {
                    throw new AtelierException(ErrorCode.INVALID_VALUE, "endpoints: SSH access is not enabled on "
                            + "this server (start it with --ssh-port)");
                }
                List<String> names = e.strings("key_pair_names");
                if (names == null || names.isEmpty()) {
                    names = e.strings("ssh_keys");
                }
                ssh = sshAccess.check(ctx.pathParam("project_id"), names, e.strings("allowed_access_ips"));
            }
        }
        CreateInstance req = new CreateInstance(name, description, feature, flavor, imageId, workspaceId,
                volume != null, volume == null ? null : volume.string("category"),
                volume == null ? null : volume.string("ownership"), volume == null ? null : volume.integer("capacity"),
                duration, leaseType, poolId, ssh, false);
        ctx.json(view(instances.create(caller, ctx.pathParam("project_id"), req)));
    }

    /** Custom specs of dedicated pools are not offered: a flavor says what an instance gets, never ignored. */
    private static void refuseCustomSpec(RequestBody body) {
        if (body.has("custom_spec")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "custom_spec: custom resource specifications are not "
                    + "offered here; choose a flavor (GET .../notebooks/flavors)");
        }
    }

    private void list(Context ctx, InstanceService.Scope scope) {
        InstanceQuery.Builder asked = NotebookListQuery.parse(ctx);
        InstanceQuery query = asked.build();
        InstancePage page = instances.list(Requests.caller(ctx), ctx.pathParam("project_id"), scope, asked);
        List<Object> items = new java.util.ArrayList<>();
        for (NotebookViews.Sources item : views.sourcesOf(page.items())) {
            items.add(listed.raw(item.id(), item, s -> views.of(s).withoutToken()));
        }
        Json.answer(ctx, mapper, Views.Page.of(items, query.offset(), query.limit(), page.total()));
    }

    private void show(Context ctx) {
        Instance read = ctx.attribute(HttpApi.AUTHORIZED); // read once, when the caller was checked against it
        NotebookViews.Sources sources = views.sourcesOf(read != null ? read
                : instances.show(ctx.pathParam("project_id"), Requests.instanceId(ctx)));
        ctx.contentType("application/json").result(shown.json(sources.id(), sources, views::of));
    }

    private void delete(Context ctx) {
        ctx.json(view(instances.delete(Requests.caller(ctx), ctx.pathParam("project_id"),
                Requests.instanceId(ctx))));
    }

    private void update(Context ctx) {
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        UpdateInstance req = UpdateInstance.of().name(body.string("name")).description(body.string("description"))
                .flavor(body.string("flavor")).image(body.string("image_id"))
                .storageNewSizeGb(body.integer("storage_new_size"))
                .endpointsGiven(body.has("endpoints")).build(); // [] too: it would replace them with none
        refuseCustomSpec(body);
        for (String field : List.of("hooks", "affinity", "data_volumes", "dew_secret_name")) {
            if (body.has(field)) { // a change the client would believe made
                throw new AtelierException(ErrorCode.INVALID_VALUE, field + ": not offered here, so an update cannot "
                        + "change it" + (field.equals("data_volumes") ? "; attach storage with POST .../storage" : ""));
            }
        }
        ctx.json(view(instances.update(Requests.caller(ctx), ctx.pathParam("project_id"), Requests.instanceId(ctx),
                req)));
    }

    private void start(Context ctx) {
        ctx.json(view(instances.start(Requests.caller(ctx), ctx.pathParam("project_id"), Requests.instanceId(ctx),
                Requests.longParam(ctx, "duration"), ctx.queryParam("type"))));
    }

    private void stop(Context ctx) {
        ctx.json(view(instances.stop(Requests.caller(ctx), ctx.pathParam("project_id"), Requests.instanceId(ctx))));
    }

    private void showLease(Context ctx) {
        ctx.json(Views.lease(instances.show(ctx.pathParam("project_id"), Requests.instanceId(ctx)).lease()));
    }

    private void renewLease(Context ctx) {
        Long duration = Requests.longParam(ctx, "duration");
        String type = null;
        if (duration == null) {
            // the body is optional: the SDK sends either a LeaseReq body or ?duration= with an empty body
            byte[] raw = ctx.bodyAsBytes();
            if (raw.length > 0) {
                RequestBody body = RequestBody.parse(mapper, raw);
                duration = body.longValue("duration");
                type = body.string("type");
            }
        }
        ctx.json(Views.lease(instances.renewLease(Requests.caller(ctx), ctx.pathParam("project_id"),
                Requests.instanceId(ctx), duration, type)));
    }

    private void switchableFlavors(Context ctx) {
        var all = instances.switchableFlavors(ctx.pathParam("project_id"), Requests.instanceId(ctx)).stream()
                .map(Views::flavor).toList();
        pagedFlavors(ctx, all);
    }

    private void changeTags(Context ctx, boolean create) {
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        java.util.Map<String, String> tags = new java.util.LinkedHashMap<>();
        for (RequestBody tag : body.objects("tags")) {
            String key = tag.string("key");
            if (key == null) {
                throw new AtelierException(ErrorCode.MISSING_PROPERTY, "tags[].key is required");
            }
            String value = tag.string("value");
            if (create && value == null) {
                throw new AtelierException(ErrorCode.MISSING_PROPERTY, "tags[].value is required");
            }
            tags.put(key, value);
        }
        if (create) {
            instances.tag(ctx.pathParam("project_id"), Requests.instanceId(ctx), tags);
        } else {
            instances.untag(ctx.pathParam("project_id"), Requests.instanceId(ctx), tags);
        }
        ctx.status(204);
    }

    private void projectTags(Context ctx) {
        var tags = instances.projectTags(ctx.pathParam("project_id"), Requests.query(ctx, "workspace_id"));
        ctx.json(java.util.Map.of("tags", tags.entrySet().stream()
                .map(e -> new Views.TagValues(e.getKey(), e.getValue())).toList()));
    }

    private void feature(Context ctx) {
        Caller caller = Requests.caller(ctx);
        var quota = instances.quota(ctx.pathParam("project_id"), caller.userId(), ctx.pathParam("feature"));
        ctx.json(new Views.Feature(caller.userId() + "-" + quota.feature(), quota.feature().name(), true, quota.limit(),
                quota.used(), caller.userId()));
    }

    private void listFlavors(Context ctx) {
        String category = ctx.queryParam("category");
        if (category != null && !List.of("CPU", "GPU", "ASCEND").contains(category.toUpperCase(Locale.ROOT))) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "category must be CPU, GPU or ASCEND");
        }
        var all = catalog.flavors().stream()
                .filter(f -> category == null || f.category().equalsIgnoreCase(category))
                .map(f -> Views.flavor(pools.asSoldIn(null, f))).toList(); // as the public pool sells them
        pagedFlavors(ctx, all);
    }

    private static void pagedFlavors(Context ctx, List<Views.FlavorView> all) {
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", Math.max(all.size(), 1), 1, Integer.MAX_VALUE);
        ctx.json(Views.Page.of(Requests.page(all, offset, limit), offset, limit, all.size()).withFlavors());
    }

    private void attach(Context ctx) {
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        ctx.json(Views.mount(storage.attach(ctx.pathParam("project_id"), Requests.instanceId(ctx), body.string("category"),
                body.string("mount_path"), body.string("uri"))));
    }

    private void saveImage(Context ctx) {
        byte[] raw = ctx.bodyAsBytes();
        RequestBody body = RequestBody.parse(mapper, raw.length == 0 ? "{}".getBytes() : raw);
        ctx.json(Views.image(instances.saveImage(Requests.caller(ctx), ctx.pathParam("project_id"),
                Requests.instanceId(ctx),
                body.string("name"), body.string("namespace"), body.string("tag"), body.string("description"),
                body.string("workspace_id"))));
    }

    private Views.NotebookResp view(Instance i) {
        return views.of(i);
    }
}
