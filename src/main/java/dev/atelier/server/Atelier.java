package dev.atelier.server;

import dev.atelier.api.http.ClusterRoutes;
import dev.atelier.api.http.EventRoutes;
import dev.atelier.api.http.MetricsRoutes;
import dev.atelier.api.http.ApiDocsRoutes;
import dev.atelier.metrics.MeteredRuntime;
import dev.atelier.metrics.Metrics;
import dev.atelier.store.sql.SqlCensus;
import dev.atelier.core.service.EventLog;
import dev.atelier.store.sql.SqlEventStore;
import dev.atelier.api.http.QuotaRoutes;
import dev.atelier.api.http.WorkspaceRoutes;
import dev.atelier.api.http.HealthRoutes;
import dev.atelier.api.http.HttpApi;
import dev.atelier.api.http.IdentityRoutes;
import dev.atelier.api.http.ImageRoutes;
import dev.atelier.api.http.LegacyRoutes;
import dev.atelier.api.http.KeyPairRoutes;
import dev.atelier.api.http.NotebookGateway;
import dev.atelier.api.ssh.SshGateway;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.core.service.Activity;
import dev.atelier.core.service.SshAccess;
import dev.atelier.store.sql.SqlKeyPairStore;
import dev.atelier.api.http.NotebookRoutes;
import dev.atelier.api.http.NotebookViews;
import dev.atelier.api.http.console.ConsoleRoutes;
import dev.atelier.api.http.console.ConsoleServices;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.auth.SecretBox;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.service.Catalog;
import dev.atelier.core.service.ImageService;
import dev.atelier.core.service.InstanceService;
import dev.atelier.core.service.Pools;
import dev.atelier.core.service.Quotas;
import dev.atelier.core.service.WorkspaceService;
import dev.atelier.core.service.Reconciler;
import dev.atelier.core.service.StorageService;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlImageStore;
import dev.atelier.store.sql.CachedInstanceReads;
import dev.atelier.store.sql.SqlInstanceReads;
import dev.atelier.store.sql.SqlMountStore;
import dev.atelier.store.sql.SqlPoolStore;
import dev.atelier.store.sql.SqlQuotaStore;
import dev.atelier.store.sql.SqlUsageStore;
import dev.atelier.store.sql.SqlWorkspaceStore;
import java.util.List;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root: the one place that chooses the adapters and wires them to the core. */
public final class Atelier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Atelier.class);
    /** While the server runs, its API URL, for the administration commands to find it. */
    static final String ENDPOINT_FILE = "endpoint";
    /** How often the change feed is read for other replicas' writes: the most a show here lags one of them. */
    static final long CHANGE_FEED_INTERVAL_MS = 100;
    /** How often a starting server that listens is looked at until it answers. */
    static final Duration READY_POLL = Duration.ofMillis(25);

    private final ServerConfig config;
    private final Database database;
    private final Reconciler reconciler;
    private final EventLog events;
    private final Metrics metrics;
    private final RuntimeParts runtimeParts;
    private final HttpApi http;
    private final NotebookGateway gateway;
    private final SshGateway ssh;
    private final Path credentialsFile;
    private volatile boolean ready;

    private Atelier(ServerConfig config, Clock clock) {
        this.config = config;
        Bootstrap.dataDir(config.dataDir());
        // configuration first: a mistake in it must not leave anything open
        var flavors = FlavorFile.load(config.dataDir(), Catalog.builtInFlavors());
        var poolFile = PoolFile.load(config.dataDir(), flavors);
        this.database = Database.open(config.effectiveDatabaseUrl());
        IdentityParts id;
        try {
            id = IdentityParts.open(database, config.dataDir(), config.signIn(), clock);
            this.credentialsFile = Bootstrap.administrator(config.dataDir(), id.service());
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        var identities = id.store();
        var instanceStore = id.instances();
        var limiter = id.limiter();
        SecretBox secrets = id.secrets();
        IdentityService identity = id.service();

        RuntimeParts parts;
        try {
            parts = RuntimeParts.of(config);
        } catch (RuntimeException e) { // e.g. its uid range is another installation's: nothing else to hold open
            database.close();
            throw e;
        }
        List<dev.atelier.core.model.Pool> poolList;
        try { // a dedicated pool's room is read from the runtime where the file does not give one, or refused
            poolList = poolFile.withRuntimeRoom(parts.room());
        } catch (RuntimeException e) {
            throw closing(e, parts, database);
        }
        this.runtimeParts = parts;
        this.metrics = new Metrics(config.engine().kind());
        database.measureWith(metrics.registry());
        var runtime = new MeteredRuntime(parts.runtime(), metrics);
        log.info("runtime capabilities: {}", parts.capabilities().get());
        // shows and authorization checks read instances from memory, kept current by the database's change feed
        var reads = new CachedInstanceReads(new SqlInstanceReads(database, instanceStore), database.changes());
        var pools = new Pools(poolList, new SqlPoolStore(database), reads, clock,
                poolFile.queueLimitPerUser());
        log.info("public pool holds {}", pools.publicPool().room().describe());
        // flavors whose accelerators the runtime does not offer are sold out everywhere; one a pool could never hold
        // is sold out in that pool only (a dedicated pool may hold what the public one does not)
        Catalog catalog = new Catalog(flavors.stream()
                .map(f -> parts.offers().test(f) ? f : f.withSoldOut(true)).toList());
        var images = new ImageService(Catalog.builtInImages(parts.builtInImage()), new SqlImageStore(database),
                parts.images(), clock);
        images.countUsersWith(instanceStore::countUsingImage);
        database.changes().start(CHANGE_FEED_INTERVAL_MS);
        var workspaces = new WorkspaceService(new SqlWorkspaceStore(database), instanceStore, clock);
        var quotas = new Quotas(new SqlQuotaStore(database), instanceStore, new SqlUsageStore(database), catalog,
                clock);
        var instances = new InstanceService(instanceStore, reads, catalog,
                new InstanceService.Limits(pools, workspaces, quotas), images, clock,
                InstanceService.DEFAULT_NOTEBOOK_QUOTA);
        try {
            keepWarm(config, parts, images, catalog).ifPresent(pool -> metrics.warmServers(() -> pool.count(true),
                    () -> pool.count(false) - pool.count(true), () -> pool.claims(true), () -> pool.claims(false)));
        } catch (RuntimeException e) { // an image it names that is not there
            throw closing(e, parts, database);
        }
        instances.startWarmFrom(runtime.capability(dev.atelier.core.port.WarmStarts.class)
                .orElse(dev.atelier.core.port.WarmStarts.NONE));
        var mounts = new SqlMountStore(database);
        var storage = new StorageService(instances, mounts, runtime, clock);
        var activity = new Activity(clock);
        this.reconciler = new Reconciler(instanceStore, reads, runtime, catalog, pools, images, mounts, activity, clock,
                new Reconciler.Settings(config.instances().startTimeout(), READY_POLL, config.lifecycle().healthInterval()));
        instances.onChange(reconciler::enqueue);
        reconciler.measuredBy(metrics);
        reconciler.limitedBy(quotas);
        this.events = new EventLog(new SqlEventStore(database), instances, clock, config.lifecycle().eventRetention());
        storage.onChange(reconciler::enqueue);
        var authenticator = new Authenticator(identities, secrets, Clock.systemUTC(), clock, limiter);
        this.gateway = new NotebookGateway(instances, authenticator, secrets.derive("notebook-gateway-cookie"),
                this::publicUrl, config.http().notebookDomain(), activity);
        runtime.capability(dev.atelier.core.port.NotebookAddresses.class).ifPresent(gateway::reachingThrough);
        var sshAccess = new SshAccess(new SqlKeyPairStore(database), instanceStore, identities, clock);
        this.ssh = sshGateway(runtime.capability(InstanceShell.class), sshAccess, activity);
        var census = new SqlCensus(database);
        var notebookViews = new NotebookViews(images, reads, pools, gateway::publicUrl, this::sshUri, clock);
        this.http = new HttpApi(config.http().host(), config.http().port(), authenticator, identity,
                routes(new Wired(id, instances, images, catalog, pools, storage, quotas, workspaces, sshAccess,
                        authenticator, notebookViews, census, clock), parts, runtime),
                Database::unavailable, metrics::answered, config.http().slowRequest());
        metrics.counting(census, pools.all().stream().map(dev.atelier.core.model.Pool::id).toList())
                .reconcilerQueue(reconciler::queueDepth).gateway(gateway.traffic()::bytesToInstances,
                        gateway.traffic()::bytesFromInstances, gateway.traffic()::openWebSockets);
        if (ssh != null) {
            metrics.ssh(ssh::openSessions);
        }
    }

    /** The SSH gateway, unless it is off or the runtime cannot open sessions inside instances. */
    private SshGateway sshGateway(java.util.Optional<InstanceShell> shell, SshAccess sshAccess, Activity activity) {
        if (config.http().sshPort() >= 0 && shell.isEmpty()) {
            log.warn("SSH is off: this runtime cannot open sessions inside instances");
        }
        return config.http().sshPort() < 0 || shell.isEmpty() ? null : new SshGateway(config.http().host(),
                config.http().sshPort(), config.dataDir().resolve("ssh_host_key"), sshAccess, shell.get(), activity);
    }

    /** The core's services the HTTP views are built on. */
    private record Wired(IdentityParts id, InstanceService instances, ImageService images, Catalog catalog, Pools pools,
                         StorageService storage, Quotas quotas, WorkspaceService workspaces, SshAccess sshAccess,
                         Authenticator authenticator, NotebookViews views, SqlCensus census, Clock clock) {
    }

    /**
     * The HTTP views, in the order Javalin tries them (each route by a regular expression): notebook traffic, most
     * of all requests, first, where it came after about fifty API routes.
     */
    private List<dev.atelier.api.http.RouteModule> routes(Wired w, RuntimeParts parts,
                                                         dev.atelier.core.port.InstanceRuntime runtime) {
        IdentityService identity = w.id().service();
        return List.of(
                gateway, new HealthRoutes(() -> ready, parts.capabilities(), List.of(
                        new HealthRoutes.Check("database", database::ping),
                        new HealthRoutes.Check("runtime", () -> {
                            runtime.instancesOnHost(); // a question its engine must answer
                            return config.engine().kind() + " answers";
                        }),
                        new HealthRoutes.Check("disk", () -> DataDirSpace.check(config.dataDir())))),
                new NotebookRoutes(w.instances(), w.catalog(), w.storage(), w.sshAccess(), w.views(), w.pools()),
                new ImageRoutes(w.images()), new EventRoutes(events, w.instances()),
                new LegacyRoutes(w.instances(), w.images(), w.catalog(), identity, w.clock(), gateway::publicUrl,
                        w.pools()),
                new ClusterRoutes(w.pools(), w.catalog()), new WorkspaceRoutes(w.workspaces()),
                new QuotaRoutes(w.quotas(), identity),
                new IdentityRoutes(identity, w.id().signIns()), new KeyPairRoutes(w.sshAccess()),
                new MetricsRoutes(metrics::scrape, config.http().metricsToken(), w.authenticator()),
                new ApiDocsRoutes(),
                new ConsoleRoutes(new ConsoleServices(w.authenticator(), identity, w.id().signIns(),
                        w.id().secrets().derive("console-csrf"), w.instances(), w.views(), w.catalog(), w.images(),
                        w.storage(), w.pools(), w.sshAccess(), events, w.census(), w.clock()),
                        Database::unavailable));
    }

    /** {@code e}, once what was opened for a start it refuses is closed again. */
    private static RuntimeException closing(RuntimeException e, RuntimeParts parts, Database database) {
        try {
            parts.closer().close();
        } catch (Exception closing) {
            e.addSuppressed(closing);
        }
        database.close();
        return e;
    }

    /**
     * Servers started ahead of demand, as many per image as {@code --warm-pool} says, where the runtime keeps them;
     * each waits under the limits of the smallest flavor without accelerators.
     */
    private static java.util.Optional<dev.atelier.runtime.host.WarmPool> keepWarm(ServerConfig config,
            RuntimeParts parts, ImageService images, Catalog catalog) {
        java.util.Map<String, Integer> wanted = config.instances().warmPool();
        if (wanted.values().stream().allMatch(n -> n == 0)) {
            return java.util.Optional.empty();
        }
        if (!(parts.runtime() instanceof dev.atelier.runtime.host.WarmRuntime warm)) {
            log.info("--warm-pool: servers are kept warm on the local and Docker runtimes; none are on {}",
                    config.engine().kind());
            return java.util.Optional.empty();
        }
        java.util.Map<dev.atelier.core.model.Image, Integer> targets = new java.util.LinkedHashMap<>();
        wanted.forEach((id, n) -> targets.put(images.find(id).filter(i -> i.status()
                == dev.atelier.core.model.ImageStatus.ACTIVE).orElseThrow(() -> new IllegalArgumentException(
                "--warm-pool names image " + id + ", which is not an active image of this server")), n));
        var flavor = catalog.flavors().stream().filter(f -> f.gpu() == null && f.ascend() == null && !f.soldOut())
                .min(java.util.Comparator.comparingLong(dev.atelier.core.model.Flavor::memoryMib))
                .orElseThrow(() -> new IllegalArgumentException("--warm-pool: no flavor without accelerators"));
        log.info("keeping servers warm: {} (under the limits of flavor {})", wanted, flavor.id());
        return java.util.Optional.of(warm.keep(targets, flavor, InstanceService.DEFAULT_EVS_GB,
                dev.atelier.runtime.host.WarmPool.Settings.DEFAULT));
    }

    /** Opens the store, starts the reconciler and the HTTP API; returns once requests are accepted. */
    public static Atelier start(ServerConfig config) {
        return start(config, Clock.systemUTC());
    }

    /**
     * As {@link #start(ServerConfig)}, with the clock the lifecycle measures deadlines (leases) on. Signature
     * dates are always checked against the system clock: they are about the client's clock, not ours.
     */
    public static Atelier start(ServerConfig config, Clock clock) {
        Atelier atelier = new Atelier(config, clock);
        try {
            atelier.reconciler.start(config.lifecycle().workers());
            atelier.events.start();
            if (atelier.ssh != null) {
                atelier.ssh.start();
            }
            atelier.http.start();
        } catch (RuntimeException e) {
            atelier.close();
            throw e;
        }
        atelier.ready = true;
        atelier.writeEndpoint();
        log.info("Atelier is listening on http://{}:{} (data dir {})", config.http().host(), atelier.port(),
                config.dataDir().toAbsolutePath());
        return atelier;
    }

    private void writeEndpoint() {
        try {
            java.nio.file.Files.writeString(config.dataDir().resolve(ENDPOINT_FILE), apiUrl() + "\n");
        } catch (java.io.IOException e) {
            log.warn("cannot write {}: the admin commands will not find this server without --url",
                    config.dataDir().resolve(ENDPOINT_FILE), e);
        }
    }

    public int port() {
        return http.port();
    }

    /** Every HTTP route this server serves ({@code "GET /v1/{project_id}/notebooks"}). */
    public java.util.SortedSet<String> routes() {
        return http.routes();
    }

    /** The SSH gateway's port, or -1 when SSH is off. */
    public int sshPort() {
        return ssh == null ? -1 : ssh.port();
    }

    /** How clients reach an instance over SSH: {@code ssh://<instance-id>@<public host>:<port>}; null without SSH. */
    private String sshUri(String instanceId) {
        if (ssh == null) {
            return null;
        }
        String host = java.net.URI.create(publicUrl()).getHost();
        return "ssh://" + instanceId + "@" + (host == null ? config.http().host() : host) + ":" + ssh.port();
    }

    /** Where clients reach this server: the configured public URL, else the address it listens on. */
    public String publicUrl() {
        return config.http().publicUrl() != null ? config.http().publicUrl() : apiUrl();
    }

    public String apiUrl() {
        String host = config.http().host().contains(":") ? "[" + config.http().host() + "]" : config.http().host();
        return "http://" + host + ":" + port();
    }

    /** The credentials file written on first start, or null when the data dir already had users. */
    public Path credentialsFile() {
        return credentialsFile;
    }

    /**
     * Stops accepting requests and stops the reconciler. Instances keep running: the next start finds them
     * again.
     */
    @Override
    public void close() {
        ready = false;
        try {
            java.nio.file.Files.deleteIfExists(config.dataDir().resolve(ENDPOINT_FILE));
        } catch (java.io.IOException e) {
            log.warn("cannot remove {}", config.dataDir().resolve(ENDPOINT_FILE), e);
        }
        try {
            http.stop();
            if (ssh != null) {
                ssh.close();
            }
        } finally {
            gateway.close();
            reconciler.stop();
            events.stop();
            try {
                runtimeParts.closer().close();
            } catch (Exception e) {
                log.warn("cannot close the runtime: {}", e.getMessage());
            }
            database.close();
            metrics.close();
        }
        log.info("Atelier stopped");
    }
}
