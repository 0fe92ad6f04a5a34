package dev.atelier.api.http.console;

import dev.atelier.core.port.IdentityStore.Project;
import dev.atelier.core.service.IdentityService;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;

/**
 * Renders console pages from templates compiled at build time ({@code src/main/jte/console}), with the headers every
 * page gets: a strict Content-Security-Policy (every script and style from this server, no inline script), no
 * framing, no caching of pages that show a user's data.
 */
final class Pages {
    static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
    private static final Map<String, String> NOTICES = Map.ofEntries(
            Map.entry("created", "The notebook is being created."),
            Map.entry("started", "The notebook is starting."),
            Map.entry("stopping", "The notebook is stopping."),
            Map.entry("deleting", "The notebook is being deleted."),
            Map.entry("renewed", "Auto stop was moved later."),
            Map.entry("updated", "The notebook was changed."),
            Map.entry("saving", "The image is being saved from the notebook."),
            Map.entry("tagged", "The tag was set."),
            Map.entry("untagged", "The tag was removed."),
            Map.entry("attaching", "The storage is being attached."),
            Map.entry("detaching", "The storage is being detached."),
            Map.entry("signed-out", "You have signed out."),
            Map.entry("ended", "Your session has ended. Sign in again."),
            Map.entry("password", "Your password was changed."),
            Map.entry("keypair-added", "The key pair was added."),
            Map.entry("keypair-deleted", "The key pair was deleted."),
            Map.entry("key-deleted", "The access key was deleted."),
            Map.entry("key-updated", "The access key was changed."),
            Map.entry("image-registered", "The image was registered."),
            Map.entry("image-deleted", "The image was deleted."),
            Map.entry("user-created", "The user was created."),
            Map.entry("user-updated", "The user was changed."),
            Map.entry("project-created", "The project was created."),
            Map.entry("member-set", "The member was added or changed."),
            Map.entry("member-removed", "The member was removed."),
            Map.entry("switched", "You are now in another project."));

    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);
    private final IdentityService identity;

    Pages(IdentityService identity) {
        this.identity = identity;
    }

    /** The page {@code template} ({@code console/<name>.jte}) with {@code params}, answered with {@code status}. */
    void render(Context ctx, int status, String template, Map<String, Object> params) {
        StringOutput out = new StringOutput(8192);
        engine.render("console/" + template + ".jte", params, out);
        headers(ctx);
        ctx.status(status).contentType("text/html; charset=utf-8").result(out.toString());
    }

    static void headers(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Frame-Options", "DENY");
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("Cache-Control", "no-store");
        // a console page opened by another page (a notebook's) is cut off from it: the opener cannot read it
        ctx.header("Cross-Origin-Opener-Policy", "same-origin");
    }

    /** The shell of a page of {@code s}'s, titled {@code title}, with {@code nav} marked current. */
    Shell shell(Context ctx, Session s, String title, String nav) {
        List<Project> projects = identity.projects(s.caller());
        String projectName = projects.stream().filter(p -> p.id().equals(s.projectId())).map(Project::name)
                .findFirst().orElse(s.projectId());
        List<Shell.Choice> choices = projects.stream()
                .map(p -> new Shell.Choice(p.id(), p.name(), p.id().equals(s.projectId()))).toList();
        return new Shell(title, nav, s.caller().userName(), projectName, choices, s.projectAdmin(), s.serviceAdmin(),
                s.csrf(), notice(ctx), null);
    }

    static String notice(Context ctx) {
        String key = ctx.queryParam("notice");
        return key == null ? null : NOTICES.get(key);
    }

    /** After a form: to {@code path}, with the message {@code notice} (a key of {@link #NOTICES}). */
    static void redirect(Context ctx, String path, String notice) {
        String to = notice == null ? path : path + (path.contains("?") ? "&" : "?") + "notice=" + notice;
        if (ctx.header("HX-Request") != null) {
            ctx.header("HX-Redirect", to);
            ctx.status(204);
        } else {
            ctx.redirect(to, io.javalin.http.HttpStatus.SEE_OTHER);
        }
    }
}
