package dev.atelier.api.http.console;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Image;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.service.RegisterImage;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** What a user keeps beside their notebooks: the project's images, its SSH key pairs, and their own account. */
final class AccountPages {
    private static final String BASE = ConsoleRoutes.PREFIX;

    private final ConsoleServices services;
    private final Pages pages;
    private final Sessions sessions;

    AccountPages(ConsoleServices services, Pages pages, Sessions sessions) {
        this.services = services;
        this.pages = pages;
        this.sessions = sessions;
    }

    void register(RoutesConfig routes, Function<ConsoleRoutes.SignedIn, io.javalin.http.Handler> page) {
        routes.get(BASE + "/images", page.apply((ctx, s) -> images(ctx, s, 200, null)));
        routes.post(BASE + "/images", page.apply((ctx, s) -> {
            try {
                services.images().register(s.projectId(), new RegisterImage(NotebookPages.blankToNull(
                        ctx.formParam("swr_path")), NotebookPages.blankToNull(ctx.formParam("arch")),
                        NotebookPages.blankToNull(ctx.formParam("description")), null, null, null, null, null, null));
                Pages.redirect(ctx, BASE + "/images", "image-registered");
            } catch (AtelierException e) {
                images(ctx, s, Messages.refused(ctx, e), Messages.of(e));
            }
        }));
        routes.post(BASE + "/images/{id}/delete", page.apply((ctx, s) -> {
            s.caller().requireProjectAdministrator(s.projectId(), "change the project's images");
            services.images().delete(s.projectId(), ctx.pathParam("id"));
            Pages.redirect(ctx, BASE + "/images", "image-deleted");
        }));

        routes.get(BASE + "/keypairs", page.apply((ctx, s) -> keyPairs(ctx, s, 200, null)));
        routes.post(BASE + "/keypairs", page.apply((ctx, s) -> {
            try {
                services.ssh().register(s.caller(), s.projectId(), NotebookPages.blankToNull(ctx.formParam("name")),
                        ctx.formParam("public_key"));
                Pages.redirect(ctx, BASE + "/keypairs", "keypair-added");
            } catch (AtelierException e) {
                keyPairs(ctx, s, Messages.refused(ctx, e), Messages.of(e));
            }
        }));
        routes.post(BASE + "/keypairs/{name}/delete", page.apply((ctx, s) -> {
            services.ssh().delete(s.caller(), s.projectId(), ctx.pathParam("name"));
            Pages.redirect(ctx, BASE + "/keypairs", "keypair-deleted");
        }));

        routes.get(BASE + "/account", page.apply((ctx, s) -> account(ctx, s, 200, null, null)));
        routes.post(BASE + "/account/password", page.apply((ctx, s) -> {
            try {
                String password = ctx.formParam("password");
                if (password == null || !password.equals(ctx.formParam("confirm"))) {
                    throw new AtelierException(ErrorCode.INVALID_VALUE, "the new password and its confirmation "
                            + "differ");
                }
                services.identity().updateUser(s.caller(), s.caller().userId(), null, password, null,
                        ctx.formParam("old_password"), s.token());
                Pages.redirect(ctx, BASE + "/account", "password");
            } catch (AtelierException e) {
                account(ctx, s, Messages.refused(ctx, e), Messages.of(e), null);
            }
        }));
        routes.post(BASE + "/account/keys", page.apply((ctx, s) -> {
            IdentityService.NewKey k = services.identity().createKey(s.caller(), s.caller().userId(),
                    NotebookPages.blankToNull(ctx.formParam("description")));
            // the secret is shown on this answer only; only a sealed copy is kept
            account(ctx, s, 201, null, k);
        }));
        routes.post(BASE + "/account/keys/{key}/delete", page.apply((ctx, s) -> {
            services.identity().deleteKey(s.caller(), s.caller().userId(), ctx.pathParam("key"));
            Pages.redirect(ctx, BASE + "/account", "key-deleted");
        }));
    }

    private void images(Context ctx, Session s, int status, String error) {
        List<Models.ImageRow> rows = services.images().visible(s.projectId()).stream().map(m -> image(m, s)).toList();
        Shell shell = pages.shell(ctx, s, "Images", "images");
        List<Models.GroupRow> groups = services.images().groups(s.projectId(), null, true, null, null, null).stream()
                .map(g -> new Models.GroupRow(g.name(), g.namespace(), g.versionCount(), Format.when(g.updateAt())))
                .toList();
        pages.render(ctx, status, "images", Map.of("shell", error == null ? shell : shell.withError(error),
                "images", rows, "groups", groups, "swrPath", error == null ? ""
                        : Messages.value(ctx.formParam("swr_path"))));
    }

    private static Models.ImageRow image(Image m, Session s) {
        return new Models.ImageRow(m.id(), m.name() + ":" + m.tag(), m.swrPath(), m.arch(), m.type(),
                m.status().name(), Format.when(m.createAt()), s.projectAdmin() && m.projectId() != null);
    }

    private void keyPairs(Context ctx, Session s, int status, String error) {
        List<Models.KeyPairRow> rows = services.ssh().list(s.caller(), s.projectId()).stream()
                .map(k -> new Models.KeyPairRow(k.name(), k.fingerprint(), Format.when(k.createdAt()))).toList();
        Shell shell = pages.shell(ctx, s, "Key pairs", "keypairs");
        Map<String, Object> params = new HashMap<>();
        params.put("shell", error == null ? shell : shell.withError(error));
        params.put("keyPairs", rows);
        params.put("name", error == null ? "" : Messages.value(ctx.formParam("name")));
        params.put("publicKey", error == null ? "" : Messages.value(ctx.formParam("public_key")));
        params.put("sshEnabled", services.views().sshEnabled());
        pages.render(ctx, status, "keypairs", params);
    }

    private void account(Context ctx, Session s, int status, String error, IdentityService.NewKey created) {
        List<Models.AccessKeyRow> keys = services.identity().keys(s.caller(), s.caller().userId()).stream()
                .map(k -> new Models.AccessKeyRow(k.accessKey(), k.description() == null ? "" : k.description(),
                        k.enabled(), Format.when(k.createdAt()))).toList();
        Shell shell = pages.shell(ctx, s, "Account", "account");
        Map<String, Object> params = new HashMap<>();
        params.put("shell", error == null ? shell : shell.withError(error));
        params.put("keys", keys);
        params.put("newAccessKey", created == null ? "" : created.record().accessKey());
        params.put("newSecretKey", created == null ? "" : created.secretKey());
        pages.render(ctx, status, "account", params);
    }

}
