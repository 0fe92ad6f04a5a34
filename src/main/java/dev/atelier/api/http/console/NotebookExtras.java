package dev.atelier.api.http.console;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Instance;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/** What a notebook carries besides its lifecycle: its tags, and object storage attached while it runs. */
final class NotebookExtras {
    private static final String BASE = ConsoleRoutes.PREFIX + "/notebooks";

    private final ConsoleServices services;
    private final BiFunction<Context, Session, Instance> authorized;

    NotebookExtras(ConsoleServices services, BiFunction<Context, Session, Instance> authorized) {
        this.services = services;
        this.authorized = authorized;
    }

    void register(RoutesConfig routes, Function<ConsoleRoutes.SignedIn, io.javalin.http.Handler> page) {
        routes.post(BASE + "/{id}/tags", page.apply((ctx, s) -> {
            Instance i = authorized.apply(ctx, s);
            String key = NotebookPages.blankToNull(ctx.formParam("key"));
            if (key == null) {
                throw new AtelierException(ErrorCode.MISSING_PROPERTY, "a tag needs a key");
            }
            String value = ctx.formParam("value") == null ? "" : ctx.formParam("value").trim();
            services.instances().tag(s.projectId(), i.id(), Map.of(key, value));
            Pages.redirect(ctx, BASE + "/" + i.id(), "tagged");
        }));
        routes.post(BASE + "/{id}/tags/delete", page.apply((ctx, s) -> {
            Instance i = authorized.apply(ctx, s);
            String name = NotebookPages.blankToNull(ctx.formParam("key"));
            if (name == null) {
                throw new AtelierException(ErrorCode.MISSING_PROPERTY, "which tag to remove: its key is missing");
            }
            java.util.Map<String, String> key = new java.util.HashMap<>();
            key.put(name, null); // whatever its value
            services.instances().untag(s.projectId(), i.id(), key);
            Pages.redirect(ctx, BASE + "/" + i.id(), "untagged");
        }));
        routes.post(BASE + "/{id}/storage", page.apply((ctx, s) -> {
            Instance i = authorized.apply(ctx, s);
            services.storage().attach(s.projectId(), i.id(), "OBS", NotebookPages.blankToNull(
                    ctx.formParam("mount_path")), NotebookPages.blankToNull(ctx.formParam("uri")));
            Pages.redirect(ctx, BASE + "/" + i.id(), "attaching");
        }));
        routes.post(BASE + "/{id}/storage/{mount}/delete", page.apply((ctx, s) -> {
            Instance i = authorized.apply(ctx, s);
            services.storage().detach(s.projectId(), i.id(), ctx.pathParam("mount"));
            Pages.redirect(ctx, BASE + "/" + i.id(), "detaching");
        }));
    }

    /** The notebook's attached storage, as its page lists it. */
    java.util.List<Models.MountRow> mounts(Session s, Instance i) {
        return services.storage().list(s.projectId(), i.id()).stream().map(m -> new Models.MountRow(m.id(),
                m.mountPath(), m.uri(), m.status().name(), m.failureReason() == null ? "" : m.failureReason()))
                .toList();
    }
}
