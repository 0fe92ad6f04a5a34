package dev.atelier.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.port.KeyPairStore.KeyPair;
import dev.atelier.core.service.SshAccess;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The project's SSH key-pair registry in the shape of Huawei Cloud's key pair service (KPS,
 * {@code /v3/{project_id}/keypairs}): import a public key by name, list, show, delete. Instances name key pairs
 * in their SSH endpoint.
 */
public final class KeyPairRoutes implements RouteModule {
    private final SshAccess ssh;
    private final ObjectMapper mapper = Json.mapper();

    public KeyPairRoutes(SshAccess ssh) {
        this.ssh = ssh;
    }

    @Override
    public void register(RoutesConfig routes) {
        String base = "/v3/{project_id}/keypairs";
        routes.post(base, Requests.secured(this::create));
        routes.get(base, Requests.secured(ctx -> ctx.json(Map.of("keypairs", ssh.list(Requests.caller(ctx),
                ctx.pathParam("project_id")).stream().map(k -> Map.of("keypair", view(k))).toList()))));
        routes.get(base + "/{name}", Requests.secured(ctx -> ctx.json(Map.of("keypair", view(ssh.show(
                Requests.caller(ctx), ctx.pathParam("project_id"), ctx.pathParam("name")))))));
        routes.delete(base + "/{name}", Requests.secured(ctx -> {
            ssh.delete(Requests.caller(ctx), ctx.pathParam("project_id"), ctx.pathParam("name"));
            ctx.status(204);
        }));
    }

    private void create(Context ctx) {
        RequestBody keypair = RequestBody.parse(mapper, ctx.bodyAsBytes()).object("keypair");
        if (keypair == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "keypair is required: {\"keypair\": {\"name\": "
                    + "…, \"public_key\": \"ssh-ed25519 AAAA…\"}}");
        }
        KeyPair k = ssh.register(Requests.caller(ctx), ctx.pathParam("project_id"), keypair.string("name"),
                keypair.string("public_key"));
        ctx.json(Map.of("keypair", view(k)));
    }

    static Map<String, Object> view(KeyPair k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", k.name());
        m.put("type", "ssh");
        m.put("scope", "user");
        m.put("public_key", k.publicKey());
        m.put("fingerprint", k.fingerprint());
        m.put("user_id", k.userId());
        m.put("create_time", k.createdAt());
        return m;
    }
}
