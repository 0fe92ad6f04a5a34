package dev.atelier.api.http;

import io.javalin.config.RoutesConfig;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Liveness and readiness, for load balancers and orchestrators: no credentials needed, nothing secret shown. */
public final class HealthRoutes implements RouteModule {
    private final BooleanSupplier ready;
    private final Supplier<Map<String, Object>> capabilities;

    /** {@code capabilities}: what this server offers (its runtime's abilities), shown with readiness. */
    public HealthRoutes(BooleanSupplier ready, Supplier<Map<String, Object>> capabilities) {
        this.ready = ready;
        this.capabilities = capabilities;
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/health/live", ctx -> ctx.json(Map.of("status", "live")));
        routes.get("/health/ready", ctx -> {
            boolean ok = ready.getAsBoolean();
            ctx.status(ok ? 200 : 503).json(Map.of("status", ok ? "ready" : "starting",
                    "capabilities", capabilities.get()));
        });
    }
}
