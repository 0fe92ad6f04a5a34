package dev.atelier.api.http;

import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.port.EventStore.EventPage;
import dev.atelier.core.service.EventLog;
import dev.atelier.core.service.InstanceService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;

/**
 * {@code GET /v1/{project_id}/notebooks/{id}/events}: an instance's event list, newest first, paged like the
 * notebook list ({@code offset}, {@code limit}); see docs/api-compatibility.md for the shape.
 */
public final class EventRoutes implements RouteModule {
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    private final EventLog events;
    private final InstanceService instances;

    public EventRoutes(EventLog events, InstanceService instances) {
        this.events = events;
        this.instances = instances;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/v1/{project_id}/notebooks/{id}/events", Requests.ownInstance(instances, this::list));
    }

    private void list(Context ctx) {
        int offset = Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = Requests.intParam(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        EventPage page = events.page(ctx.pathParam("project_id"), Requests.instanceId(ctx), offset, limit);
        ctx.json(Views.Page.of(page.items().stream().map(EventRoutes::view).toList(), offset, limit, page.total()));
    }

    /** One event on the wire. {@code id}: its place in the instance's history, "version.ordinal". */
    record EventView(String id, String instanceId, long time, String timeUtc, String type, String level,
                     String status, String message, Actor actor) {
    }

    /** {@code requestId}: the API request a person made the change with (null for Atelier's own changes). */
    record Actor(String type, String name, String requestId) {
    }

    static EventView view(InstanceEvent e) {
        return new EventView(e.version() + "." + e.ordinal(), e.instanceId(), e.at(),
                Instant.ofEpochMilli(e.at()).toString(), e.kind().name(), e.kind().level().name(), e.status().name(),
                e.message(), new Actor(e.actor().name(), e.actorName(), e.requestId()));
    }
}
