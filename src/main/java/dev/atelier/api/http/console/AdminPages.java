package dev.atelier.api.http.console;

import dev.atelier.core.AtelierException;
import dev.atelier.core.model.Pool;
import dev.atelier.core.port.AuditStore.AuditEvent;
import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Room;
import dev.atelier.core.service.Pools;
import dev.atelier.core.port.IdentityStore.Project;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * For the service administrator: users, projects and their members, capacity at a glance (instances by pool and
 * status, each pool's queue); and the audit log, which project administrators see for their own project.
 */
final class AdminPages {
    private static final String BASE = ConsoleRoutes.PREFIX + "/admin";
    private static final int AUDIT_PAGE = 50;

    private final ConsoleServices services;
    private final Pages pages;

    AdminPages(ConsoleServices services, Pages pages) {
        this.services = services;
        this.pages = pages;
    }

    void register(RoutesConfig routes, Function<ConsoleRoutes.SignedIn, io.javalin.http.Handler> page) {
        routes.get(BASE, page.apply((ctx, s) -> overview(ctx, s, 200, null)));
        routes.post(BASE + "/users", page.apply((ctx, s) -> form(ctx, s, () -> services.identity().createUser(
                s.caller(), ctx.formParam("name"), ctx.formParam("password"),
                "on".equals(ctx.formParam("service_admin"))), "user-created")));
        routes.post(BASE + "/users/{user}", page.apply((ctx, s) -> form(ctx, s, () -> services.identity()
                .updateUser(s.caller(), ctx.pathParam("user"), "on".equals(ctx.formParam("enabled")), null, null),
                "user-updated")));
        routes.post(BASE + "/projects", page.apply((ctx, s) -> form(ctx, s, () -> services.identity()
                .createProject(s.caller(), ctx.formParam("name")), "project-created")));
        routes.post(BASE + "/projects/{project}/members", page.apply((ctx, s) -> form(ctx, s, () -> services
                .identity().setMember(s.caller(), ctx.pathParam("project"), ctx.formParam("user"),
                        ctx.formParam("role")), "member-set")));
        routes.post(BASE + "/projects/{project}/members/{user}/delete", page.apply((ctx, s) -> form(ctx, s,
                () -> services.identity().removeMember(s.caller(), ctx.pathParam("project"), ctx.pathParam("user")),
                "member-removed")));
        routes.post(BASE + "/users/{user}/keys/{key}", page.apply((ctx, s) -> form(ctx, s, () -> services.identity()
                .setKeyEnabled(s.caller(), ctx.pathParam("user"), ctx.pathParam("key"),
                        "on".equals(ctx.formParam("enabled"))), "key-updated")));
        routes.post(BASE + "/users/{user}/keys/{key}/delete", page.apply((ctx, s) -> form(ctx, s, () -> services
                .identity().deleteKey(s.caller(), ctx.pathParam("user"), ctx.pathParam("key")), "key-deleted")));
        routes.get(BASE + "/audit", page.apply(this::audit));
    }

    /** A form of the overview: done and back, or the overview again with what went wrong. */
    private void form(Context ctx, Session s, Runnable change, String notice) {
        s.caller().requireServiceAdministrator("administer users and projects");
        try {
            change.run();
            Pages.redirect(ctx, BASE, notice);
        } catch (AtelierException e) {
            overview(ctx, s, Messages.refused(ctx, e), Messages.of(e));
        }
    }

    private void overview(Context ctx, Session s, int status, String error) {
        s.caller().requireServiceAdministrator("see the administration pages");
        var users = services.identity().users(s.caller()).stream().map(u -> new Models.UserRow(u.id(), u.name(),
                u.serviceAdmin(), u.enabled(), Format.when(u.createdAt()), services.identity().keys(s.caller(), u.id())
                .stream().map(k -> new Models.AccessKeyRow(k.accessKey(), k.description() == null ? ""
                        : k.description(), k.enabled(), Format.when(k.createdAt()))).toList())).toList();
        List<Models.ProjectRow> projects = new ArrayList<>();
        for (Project p : services.identity().projects(s.caller())) {
            projects.add(new Models.ProjectRow(p.id(), p.name(), Format.when(p.createdAt()),
                    services.identity().members(s.caller(), p.id()).stream()
                            .map(m -> new Models.MemberRow(m.userId(), m.userName(), m.role())).toList()));
        }
        Map<String, String> poolNames = new HashMap<>();
        for (Pool p : services.pools().all()) {
            poolNames.put(p.id(), p.name());
        }
        List<Models.CapacityRow> capacity = services.census().instances().stream()
                .map(c -> new Models.CapacityRow(c.poolId() == null ? "public" : poolNames.getOrDefault(c.poolId(),
                        c.poolId()), c.status(), c.count())).toList();
        List<Models.PoolRow> pools = new ArrayList<>();
        List<Models.FlavorUse> flavors = new ArrayList<>();
        for (Pools.Usage u : services.pools().usage()) {
            Pool p = u.pool();
            pools.add(new Models.PoolRow(p.id(), p.name(), p.type().name(), p.flavorIds().isEmpty() ? "every flavor"
                    : String.join(", ", p.flavorIds()), used(u.used(), p.room()), u.waiting()));
            u.seatedByFlavor().forEach((flavor, n) -> flavors.add(new Models.FlavorUse(flavor, p.name(), n)));
        }
        Shell shell = pages.shell(ctx, s, "Administration", "admin");
        Map<String, Object> params = new HashMap<>();
        params.put("shell", error == null ? shell : shell.withError(error));
        params.put("users", users);
        params.put("projects", projects);
        params.put("capacity", capacity);
        params.put("pools", pools);
        params.put("flavors", flavors);
        pages.render(ctx, status, "admin", params);
    }

    private static String enc(String v) {
        return v == null ? "" : java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** "3 of 10 instances, 6 of 32 vCPUs, …": what is taken of the room, "of no limit" where it has none. */
    static String used(Demand used, Room room) {
        return part(used.instances(), room.instances(), "instances") + ", " + part(used.vcpus(), room.vcpus(), "vCPUs")
                + ", " + part(used.memoryMib() / 1024, room.memoryMib() < 0 ? -1 : room.memoryMib() / 1024,
                "GiB of memory") + ", " + part(used.accelerators(), room.accelerators(), "accelerators");
    }

    private static String part(long used, long limit, String unit) {
        return used + (limit < 0 ? "" : " of " + limit) + " " + unit;
    }

    private void audit(Context ctx, Session s) {
        String user = NotebookPages.blankToNull(ctx.queryParam("user"));
        String project = NotebookPages.blankToNull(ctx.queryParam("project"));
        if (project == null && !s.serviceAdmin()) {
            project = s.projectId(); // a project's administrator sees their project's
        }
        int page = 1;
        try {
            String asked = ctx.queryParam("page");
            page = Math.max(1, Math.min(1_000_000, dev.atelier.core.AsciiNumbers.parseInt(asked == null ? "1" : asked)));
        } catch (NumberFormatException e) {
            page = 1;
        }
        List<AuditEvent> events = services.identity().audit(s.caller(), project, user, null, null,
                (page - 1) * AUDIT_PAGE, AUDIT_PAGE + 1);
        boolean more = events.size() > AUDIT_PAGE;
        List<Models.AuditRow> rows = events.stream().limit(AUDIT_PAGE).map(e -> new Models.AuditRow(
                Instant.ofEpochMilli(e.at()).toString(), e.userName() == null ? "" : e.userName(),
                e.address() == null ? "" : e.address(), e.method(), e.path(), e.status(),
                e.errorCode() == null ? "" : e.errorCode(), e.requestId())).toList();
        Map<String, Object> params = new HashMap<>();
        params.put("shell", pages.shell(ctx, s, "Audit log", "audit"));
        params.put("rows", rows);
        params.put("user", user == null ? "" : user);
        params.put("project", project == null ? "" : project);
        params.put("query", "&user=" + enc(user) + "&project=" + enc(s.serviceAdmin() ? project : null));
        params.put("page", page);
        params.put("more", more);
        pages.render(ctx, 200, "audit", params);
    }
}
