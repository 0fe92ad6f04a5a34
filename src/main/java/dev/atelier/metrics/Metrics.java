package dev.atelier.metrics;

import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Pool;
import dev.atelier.core.port.Census;
import dev.atelier.core.port.Telemetry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Atelier's metrics, in Prometheus's text format (Micrometer and its Prometheus registry). Names and labels
 * follow Prometheus's conventions: a unit in the name, {@code _total} on counters, and only labels of few values
 * (route templates, statuses, pools, flavors, runtimes), never an instance id or a user name. docs/observability.md
 * lists them.
 */
public final class Metrics implements Telemetry, AutoCloseable {
    /** Lifecycle durations: from seconds (a local start) to the half hour a cluster may take to pull an image. */
    private static final Duration[] LIFECYCLE_BUCKETS = seconds(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800);
    private static final Duration[] REQUEST_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
        Duration.ofSeconds(10)};
    /** The failures that count as someone failing to prove who they are. */
    private static final Set<ErrorCode> AUTH_FAILURES = EnumSet.of(ErrorCode.AUTH_BAD_SIGNATURE,
            ErrorCode.AUTH_EXPIRED, ErrorCode.AUTH_MALFORMED, ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED,
            ErrorCode.SIGN_IN_FAILED, ErrorCode.TOO_MANY_SIGN_INS);
    private static final Set<String> STANDARD_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
            "OPTIONS");
    /** The census is read at most this often, however often metrics are scraped. */
    private static final long CENSUS_EVERY_MS = 1000;

    private static final java.util.Map<String, String> DESCRIPTIONS = java.util.Map.of(
            "atelier.instance.lifecycle", "From a create or start to RUNNING (queue included); a stop's runtime work",
            "atelier.reconciler.pass", "Reconciler passes over one instance",
            "atelier.runtime.calls", "Calls to the runtime that runs instances",
            "atelier.http.server.requests", "HTTP requests answered, by route template",
            "atelier.pool.queue.wait", "How long instances waited in a pool's queue before they were given a seat");

    /** Timers by name and tags (see {@link #timer}). */
    private final java.util.concurrent.ConcurrentMap<List<String>, Timer> timers =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final String runtime;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private MultiGauge instances;
    private MultiGauge queueLength;
    private MultiGauge queueOldest;
    private final List<Object> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Census census;
    private List<String> poolIds = List.of();
    private long censusAt;

    /** {@code runtime}: where instances run ({@code local}, {@code docker}, {@code kubernetes}), a label. */
    public Metrics(String runtime) {
        this.runtime = runtime;
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        AUTH_FAILURES.forEach(this::authFailures); // at zero from the start: a rate needs its first sample
    }

    private Counter authFailures(ErrorCode reason) {
        return Counter.builder("atelier.auth.failures")
                .description("Requests refused because the caller could not prove who they are; "
                        + "reason too_many_sign_ins: refused by the lockout")
                .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry);
    }

    /** The Micrometer registry, for what measures itself (the database's connection pool). */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Instances by status and pool, and the queues of {@code poolIds} (each reported, at zero when empty), read from
     * the database at each scrape.
     */
    public Metrics counting(Census source, List<String> poolIds) {
        this.census = source;
        this.poolIds = List.copyOf(poolIds);
        instances = MultiGauge.builder("atelier.instances").description("Instances by status and pool")
                .register(registry);
        queueLength = MultiGauge.builder("atelier.pool.queue.length")
                .description("Instances waiting in a pool's queue").register(registry);
        queueOldest = MultiGauge.builder("atelier.pool.queue.oldest.wait").baseUnit("seconds")
                .description("How long the instance first in a pool's queue has waited").register(registry);
        return this;
    }

    /** The reconciler's backlog: instances due a pass that wait for a worker. */
    public Metrics reconcilerQueue(IntSupplier depth) {
        Gauge.builder("atelier.reconciler.queue.depth", depth::getAsInt)
                .description("Instances due a reconciler pass and waiting for a worker").register(registry);
        return this;
    }

    /** What passes through the notebook gateway: bytes to and from instances, WebSockets open now. */
    public Metrics gateway(java.util.function.LongSupplier toInstances, java.util.function.LongSupplier fromInstances,
                           IntSupplier openWebSockets) {
        // Micrometer holds what a function counter reads weakly: these are held here, as long as the registry
        held.add(toInstances);
        held.add(fromInstances);
        FunctionCounter.builder("atelier.gateway.traffic", toInstances, java.util.function.LongSupplier::getAsLong)
                .baseUnit("bytes").tag("direction", "to_instance")
                .description("Bytes relayed by the notebook gateway (HTTP bodies and WebSocket messages)")
                .register(registry);
        FunctionCounter.builder("atelier.gateway.traffic", fromInstances, java.util.function.LongSupplier::getAsLong)
                .baseUnit("bytes").tag("direction", "from_instance")
                .description("Bytes relayed by the notebook gateway (HTTP bodies and WebSocket messages)")
                .register(registry);
        Gauge.builder("atelier.gateway.websockets.open", openWebSockets::getAsInt)
                .description("WebSockets open through the notebook gateway").register(registry);
        return this;
    }

    /**
     * Servers kept warm: waiting and starting now; creates that fit the pool and took one, or found none waiting
     * (a pool too small for the demand).
     */
    public Metrics warmServers(java.util.function.LongSupplier waiting, java.util.function.LongSupplier starting,
                               java.util.function.LongSupplier hits, java.util.function.LongSupplier misses) {
        held.add(hits);
        held.add(misses);
        Gauge.builder("atelier.warm.servers", waiting::getAsLong).tag("state", "waiting")
                .description("Notebook servers started ahead of demand").register(registry);
        Gauge.builder("atelier.warm.servers", starting::getAsLong).tag("state", "starting")
                .description("Notebook servers started ahead of demand").register(registry);
        FunctionCounter.builder("atelier.warm.claims", hits, java.util.function.LongSupplier::getAsLong)
                .tag("result", "taken").description("Creates that fit the warm pool, by whether a server was waiting")
                .register(registry);
        FunctionCounter.builder("atelier.warm.claims", misses, java.util.function.LongSupplier::getAsLong)
                .tag("result", "none_waiting")
                .description("Creates that fit the warm pool, by whether a server was waiting").register(registry);
        return this;
    }

    /** The SSH gateway's open sessions. */
    public Metrics ssh(IntSupplier openSessions) {
        Gauge.builder("atelier.ssh.sessions.open", openSessions::getAsInt)
                .description("SSH sessions open through the SSH gateway").register(registry);
        return this;
    }

    @Override
    public void lifecycle(Operation operation, String flavorId, long millis) {
        timer("atelier.instance.lifecycle", LIFECYCLE_BUCKETS, "operation", operation.name().toLowerCase(Locale.ROOT),
                "runtime", runtime, "flavor", flavorId).record(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void queueWait(String poolId, long millis) {
        timer("atelier.pool.queue.wait", LIFECYCLE_BUCKETS, "pool", poolId).record(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void reconcilePass(long nanos, boolean failed) {
        timer("atelier.reconciler.pass", REQUEST_BUCKETS, "outcome", failed ? "error" : "ok")
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A call to the runtime took {@code nanos}; {@code failed}: it threw. */
    void runtimeCall(String operation, long nanos, boolean failed) {
        timer("atelier.runtime.calls", REQUEST_BUCKETS, "operation", operation, "runtime", runtime,
                "outcome", failed ? "error" : "ok").record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * The timer of that name and those tags (name, value, …), found again by them without building its id: timers
     * are recorded on hot paths (every request, every reconciler pass and runtime call).
     */
    private Timer timer(String name, Duration[] buckets, String... tags) {
        List<String> key = new java.util.ArrayList<>(tags.length + 1);
        key.add(name);
        key.addAll(List.of(tags));
        return timers.computeIfAbsent(key, k -> Timer.builder(name).description(DESCRIPTIONS.get(name)).tags(tags)
                .serviceLevelObjectives(buckets).register(registry));
    }

    /**
     * An HTTP request was answered: {@code route} its matched template, {@code failure} what went wrong, if anything.
     */
    public void answered(String method, String route, int status, ErrorCode failure, double millis) {
        // a client may send any method name: only the standard ones become label values
        String m = STANDARD_METHODS.contains(method) ? method : "other";
        timer("atelier.http.server.requests", REQUEST_BUCKETS, "method", m, "route", route, "status",
                Integer.toString(status)).record(Math.round(millis * 1000), TimeUnit.MICROSECONDS);
        if (failure != null && AUTH_FAILURES.contains(failure)) {
            authFailures(failure).increment();
        }
    }

    /** The metrics now, in Prometheus's text format (version 0.0.4). */
    public String scrape() {
        refreshCensus();
        return registry.scrape();
    }

    private synchronized void refreshCensus() {
        long now = System.currentTimeMillis();
        if (census == null || now - censusAt < CENSUS_EVERY_MS) {
            return;
        }
        censusAt = now;
        instances.register(census.instances().stream().map(c -> MultiGauge.Row.of(Tags.of("status", c.status(),
                "pool", c.poolId() == null ? Pool.DEFAULT_ID : c.poolId()), c.count())).toList(), true);
        java.util.Map<String, Census.QueueCount> queues = new java.util.TreeMap<>();
        poolIds.forEach(id -> queues.put(id, new Census.QueueCount(id, 0, now)));
        census.queues().forEach(q -> queues.put(q.poolId(), q));
        queueLength.register(queues.values().stream().map(q -> MultiGauge.Row.of(Tags.of("pool", q.poolId()),
                q.waiting())).toList(), true);
        queueOldest.register(queues.values().stream().map(q -> MultiGauge.Row.of(Tags.of("pool", q.poolId()),
                Math.max(0, now - q.oldestSince()) / 1000.0)).toList(), true);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    private static Duration[] seconds(long... values) {
        Duration[] d = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = Duration.ofSeconds(values[i]);
        }
        return d;
    }
}
