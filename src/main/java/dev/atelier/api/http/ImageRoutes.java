package dev.atelier.api.http;

import dev.atelier.core.service.ImageService;
import dev.atelier.core.service.RegisterImage;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/** The v1 image routes (reference §2.15–2.20): a thin view over {@link ImageService}. */
public final class ImageRoutes implements RouteModule {
    private static final int DEFAULT_LIMIT = 200;

    private final ImageService images;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper = Json.mapper();

    public ImageRoutes(ImageService images) {
        this.images = images;
    }

    @Override
    public void register(RoutesConfig routes) {
        String base = "/v1/{project_id}/images";
        routes.get(base + "/group", Requests.secured(this::listGroups));
        routes.put(base + "/group/{id}", Requests.administered(ctx -> {
            byte[] raw = ctx.bodyAsBytes();
            String readMe = raw.length == 0 ? null : RequestBody.parse(mapper, raw).string("read_me");
            ctx.json(group(images.updateGroup(ctx.pathParam("project_id"), ctx.pathParam("id"), readMe)));
        }));
        routes.delete(base + "/group/{id}", Requests.administered(ctx -> ctx.json(group(
                images.deleteGroup(ctx.pathParam("project_id"), ctx.pathParam("id"))))));
        routes.get(base, Requests.secured(this::list));
        routes.post(base, Requests.secured(this::registerImage));
        routes.get(base + "/{id}", Requests.secured(ctx -> ctx.json(Views.image(
                images.show(ctx.pathParam("project_id"), ctx.pathParam("id"))))));
        routes.delete(base + "/{id}", Requests.administered(ctx -> ctx.json(Views.image(
                images.delete(ctx.pathParam("project_id"), ctx.pathParam("id"))))));
        routes.post(base + "/{id}/sync", Requests.administered(ctx -> ctx.json(Views.image(
                images.sync(ctx.pathParam("project_id"), ctx.pathParam("id"))))));
    }

    private void list(Context ctx) {
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", DEFAULT_LIMIT, 1, Integer.MAX_VALUE);
        var all = images.list(ctx.pathParam("project_id"), Requests.query(ctx, "name"), fuzzy(ctx),
                Requests.query(ctx, "namespace"), Requests.query(ctx, "service_type"),
                Requests.query(ctx, "type"), Requests.query(ctx, "workspace_id"))
                .stream().map(Views::image).toList();
        ctx.json(Views.Page.of(Requests.page(all, offset, limit), offset, limit, all.size()));
    }

    private void listGroups(Context ctx) {
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", DEFAULT_LIMIT, 1, Integer.MAX_VALUE);
        var all = images.groups(ctx.pathParam("project_id"), Requests.query(ctx, "name"), fuzzy(ctx),
                Requests.query(ctx, "namespace"), Requests.query(ctx, "type"),
                Requests.query(ctx, "workspace_id")).stream().map(ImageRoutes::group).toList();
        ctx.json(Views.Page.of(Requests.page(all, offset, limit), offset, limit, all.size()));
    }

    private void registerImage(Context ctx) {
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        ctx.json(Views.image(images.register(ctx.pathParam("project_id"), new RegisterImage(body.string("swr_path"),
                body.string("arch"), body.string("description"), body.string("origin"),
                strings(body, "resource_category"), body.string("service_type"), strings(body, "services"),
                body.string("visibility"), body.string("workspace_id")))));
    }

    private static List<String> strings(RequestBody body, String field) {
        List<String> out = new ArrayList<>();
        body.strings(field).forEach(out::add);
        return out.isEmpty() ? null : out;
    }

    private static boolean fuzzy(Context ctx) {
        String v = Requests.query(ctx, "name_fuzzy_match");
        return v == null || !v.equalsIgnoreCase("false");
    }

    private static Views.GroupView group(ImageService.Group g) {
        return new Views.GroupView(g.id(), g.name(), g.namespace(), g.createAt(), g.updateAt(), g.versionCount(),
                g.description(), g.readMe());
    }
}
