package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.Caller;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}, Prometheus's text format, on every replica. For a scraper, the bearer token the operator
 * configured ({@code --metrics-token}); for a person, the service administrator's own credentials. Anyone else is
 * refused like any unauthenticated call.
 */
public final class MetricsRoutes implements RouteModule {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final Supplier<String> scrape;
    private final byte[] token;
    private final Authenticator authenticator;

    /** {@code token}: the scrapers' bearer token, or null to let only the service administrator read metrics. */
    public MetricsRoutes(Supplier<String> scrape, String token, Authenticator authenticator) {
        this.scrape = scrape;
        this.token = token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.authenticator = authenticator;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/metrics", this::metrics);
    }

    private void metrics(Context ctx) {
        if (!scraper(ctx.header("Authorization"))) {
            Caller caller = authenticator.authenticate(Requests.signedRequest(ctx, ctx::bodyAsBytes), ctx.ip());
            ctx.attribute(HttpApi.CALLER, caller);
            if (!caller.serviceAdmin()) {
                throw new AtelierException(ErrorCode.FORBIDDEN, "only the service administrator, or a scraper with "
                        + "the metrics token, may read metrics");
            }
        }
        ctx.contentType(CONTENT_TYPE).result(scrape.get());
    }

    /** The configured scrapers' token, compared in constant time. */
    private boolean scraper(String authorization) {
        if (token == null || authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }
}
