package dev.atelier.api.http;

import io.javalin.config.RoutesConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Liveness and readiness, for load balancers and orchestrators: no credentials needed, nothing secret shown.
 * Readiness names each dependency (the database, the runtime's engine, the data dir's disk) and whether it
 * answers; the checks run at most every {@link #CHECK_EVERY_MS}, however often readiness is asked.
 */
public final class HealthRoutes implements RouteModule {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HealthRoutes.class);
    static final long CHECK_EVERY_MS = 2000;

    /**
     * A dependency: {@code probe} returns a short word on what it found (shown to anyone: nothing secret), or throws
     * saying what is wrong (logged, not shown).
     */
    public record Check(String name, Callable<String> probe) {
    }

    private final BooleanSupplier ready;
    private final Supplier<Map<String, Object>> capabilities;
    private final List<Check> checks;
    private Map<String, Object> lastResults = Map.of();
    private boolean lastOk = true;
    private long checkedAt;

    /** {@code capabilities}: what this server offers (its runtime's abilities), shown with readiness. */
    public HealthRoutes(BooleanSupplier ready, Supplier<Map<String, Object>> capabilities, List<Check> checks) {
        this.ready = ready;
        this.capabilities = capabilities;
        this.checks = List.copyOf(checks);
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/health/live", ctx -> ctx.json(Map.of("status", "live")));
        routes.get("/health/ready", ctx -> {
            boolean started = ready.getAsBoolean();
            Map<String, Object> found = new LinkedHashMap<>();
            boolean ok = started && check(found);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", !started ? "starting" : ok ? "ready" : "failing");
            body.putAll(found);
            body.put("capabilities", capabilities.get());
            ctx.status(ok ? 200 : 503).json(body);
        });
    }

    /** Puts each dependency's state into {@code body}; whether all of them answer. */
    private synchronized boolean check(Map<String, Object> body) {
        long now = System.currentTimeMillis();
        if (now - checkedAt >= CHECK_EVERY_MS) {
            Map<String, Object> results = new LinkedHashMap<>();
            boolean ok = true;
            for (Check c : checks) {
                Map<String, Object> result = new LinkedHashMap<>();
                try {
                    result.put("ok", true);
                    result.put("detail", c.probe().call());
                } catch (Exception e) {
                    // anyone may ask: the details (addresses, paths) go to the log, for the operator
                    ok = false;
                    result.put("ok", false);
                    result.put("detail", "failing; the server's log says why");
                    log.warn("readiness: {} is failing: {}", c.name(), e.toString());
                }
                results.put(c.name(), result);
            }
            lastResults = results;
            lastOk = ok;
            checkedAt = now;
        }
        body.put("checks", lastResults);
        return lastOk;
    }
}
