package dev.atelier.server;

import dev.atelier.core.auth.SignInLimiter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Everything a server is started with, one typed group per component, each checked when it is made: a mistake
 * in the configuration stops the start with a message that names the setting, before anything is opened. Built by
 * the CLI from options and environment variables.
 */
public record ServerConfig(Path dataDir, String databaseUrl, Http http, Instances instances, Lifecycle lifecycle,
                           SignIn signIn, Engine engine) {

    public static final String DEFAULT_JUPYTER = "/usr/bin/jupyter-server";
    /** Sandboxed instances: a network namespace each, with outbound access (see docs/isolation.md). */
    public static final String DEFAULT_INSTANCE_NETWORK = "outbound";
    /**
     * Reconciler workers (virtual threads). A pass can wait up to a poll's timeout on a busy notebook server, so
     * there are enough of them that instances starting together do not wait for each other.
     */
    public static final int DEFAULT_RECONCILER_WORKERS = 16;
    /**
     * How often a running instance is looked at: with the 3 s a server may stay silent, a server that dies or
     * hangs is found within 5 s.
     */
    public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(2);

    public ServerConfig {
        dataDir = dataDir.toAbsolutePath().normalize();
    }

    /**
     * Where instances run: {@code local} (a sandboxed process each, the embedded default), {@code docker} (a
     * container each, through the Docker Engine API at {@code dockerHost}, e.g. {@code unix:///var/run/docker.sock})
     * or {@code kubernetes} (a pod each, in the cluster {@code cluster} says).
     * {@code registry} ({@code host:port}, optional): where saved images are pushed and registered references
     * pulled from, with {@code registryUser} and {@code registryPassword} when it asks for them.
     */
    public record Engine(String kind, String dockerHost, String registry, String registryUser,
                         String registryPassword, Cluster cluster, String dockerNetwork) {
        private static final Set<String> KINDS = Set.of("local", "docker", "kubernetes");
        public static final String DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";
        public static final Engine LOCAL = new Engine("local", null, null, null, null);

        public Engine(String kind, String dockerHost, String registry, String registryUser, String registryPassword) {
            this(kind, dockerHost, registry, registryUser, registryPassword, Cluster.DEFAULT);
        }

        public Engine(String kind, String dockerHost, String registry, String registryUser, String registryPassword,
                      Cluster cluster) {
            this(kind, dockerHost, registry, registryUser, registryPassword, cluster, null);
        }

        public Engine {
            kind = kind == null || kind.isBlank() ? "local" : kind.trim().toLowerCase(Locale.ROOT);
            if (!KINDS.contains(kind)) {
                throw new IllegalArgumentException("--runtime must be local, docker or kubernetes, not " + kind);
            }
            dockerHost = dockerHost == null || dockerHost.isBlank() ? DEFAULT_DOCKER_HOST : dockerHost.trim();
            if (!dockerHost.startsWith("unix://") && !dockerHost.startsWith("tcp://")) {
                throw new IllegalArgumentException("--docker-host must be unix:///path or tcp://host:port, not "
                        + dockerHost);
            }
            registry = registry == null || registry.isBlank() ? null : registry.trim();
            if (registry != null && !registry.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException("--registry must be host or host:port, not " + registry);
            }
            if ((registryUser == null) != (registryPassword == null)) {
                throw new IllegalArgumentException("a registry user needs a registry password, and the other way round");
            }
            cluster = cluster == null ? Cluster.DEFAULT : cluster;
            dockerNetwork = dockerNetwork == null || dockerNetwork.isBlank() ? "auto"
                    : dockerNetwork.trim().toLowerCase(Locale.ROOT);
            if (!Set.of("auto", "bridge", "shared", "per-instance").contains(dockerNetwork)) {
                throw new IllegalArgumentException("--docker-network must be auto, bridge, shared or per-instance, "
                        + "not " + dockerNetwork);
            }
        }

        public boolean docker() {
            return kind.equals("docker");
        }

        public boolean kubernetes() {
            return kind.equals("kubernetes");
        }

        public Engine withCluster(Cluster value) {
            return new Engine(kind, dockerHost, registry, registryUser, registryPassword, value, dockerNetwork);
        }

        public Engine withDockerNetwork(String value) {
            return new Engine(kind, dockerHost, registry, registryUser, registryPassword, cluster, value);
        }

        @Override
        public String toString() { // never the password
            return "Engine[" + kind + (docker() ? " at " + dockerHost : "") + (kubernetes() ? " " + cluster : "")
                    + (registry == null ? "" : ", registry " + registry
                    + (registryUser == null ? "" : " as " + registryUser)) + "]";
        }
    }

    /**
     * The cluster of {@code --runtime kubernetes}: {@code kubeconfig} (null: {@code KUBECONFIG}, {@code ~/.kube/config}
     * or the pod's service account), the {@code namespace} instances are made in, this {@code installation}'s name
     * (the same for all its replicas; null: this data dir's id), the {@code storageClass} of work volumes (null: the
     * cluster's default), the image {@code pullSecrets} instances' pods get, and how notebooks are reached
     * ({@code access}: {@code pod-ip}, in the cluster or routed to it; {@code port-forward}, from outside it).
     * A {@code namespace} that holds {@code {project}} names a namespace per project; each gets copies of the
     * NetworkPolicies and pull secrets of {@code namespaceSource}.
     */
    public record Cluster(java.nio.file.Path kubeconfig, String namespace, String installation, String storageClass,
                          java.util.List<String> pullSecrets, String access, String namespaceSource) {
        public static final String DEFAULT_NAMESPACE = "atelier-instances";
        public static final Cluster DEFAULT = new Cluster(null, DEFAULT_NAMESPACE, null, null, java.util.List.of());

        public Cluster(java.nio.file.Path kubeconfig, String namespace, String installation, String storageClass,
                       java.util.List<String> pullSecrets) {
            this(kubeconfig, namespace, installation, storageClass, pullSecrets, "pod-ip");
        }

        public Cluster(java.nio.file.Path kubeconfig, String namespace, String installation, String storageClass,
                       java.util.List<String> pullSecrets, String access) {
            this(kubeconfig, namespace, installation, storageClass, pullSecrets, access, null);
        }

        public Cluster {
            namespace = namespace == null || namespace.isBlank() ? DEFAULT_NAMESPACE : namespace.trim();
            namespaceSource = namespaceSource == null || namespaceSource.isBlank() ? DEFAULT_NAMESPACE
                    : namespaceSource.trim();
            installation = installation == null || installation.isBlank() ? null : installation.trim();
            storageClass = storageClass == null || storageClass.isBlank() ? null : storageClass.trim();
            pullSecrets = pullSecrets == null ? java.util.List.of()
                    : pullSecrets.stream().map(String::trim).filter(p -> !p.isEmpty()).toList();
            access = access == null || access.isBlank() ? "pod-ip" : access.trim().toLowerCase(Locale.ROOT);
            if (!access.equals("pod-ip") && !access.equals("port-forward")) {
                throw new IllegalArgumentException("--cluster-access must be pod-ip or port-forward, not " + access);
            }
        }

        /** Notebooks are reached through port-forwards (Atelier outside the cluster), not at pods' addresses. */
        public boolean portForward() {
            return access.equals("port-forward");
        }

        /** A list of names separated by commas, as an option or the environment gives it. */
        public static java.util.List<String> names(String commaSeparated) {
            return commaSeparated == null ? java.util.List.of() : java.util.List.of(commaSeparated.split(","));
        }
    }

    /**
     * Where the API, the notebook gateway and the SSH gateway listen and how clients reach them. {@code publicUrl}:
     * the base URL clients use when it is not the listening address (behind a TLS proxy; notebook URLs are built on
     * it). {@code notebookDomain}: serve each notebook on {@code <instance-id>.<domain>} so that browsers keep
     * instances' pages apart (null: all under the server's host). {@code sshPort}: 0 picks a free one, -1 is off.
     */
    /**
     * Where the API listens and how it is reached. {@code metricsToken}: the bearer token Prometheus scrapes
     * {@code /metrics} with (null: only the service administrator may read metrics); at least 16 characters.
     */
    public record Http(String host, int port, String publicUrl, String notebookDomain, int sshPort,
                       String metricsToken, Duration slowRequest) {
        /** API requests slower than this are logged as slow unless told otherwise. */
        public static final Duration DEFAULT_SLOW_REQUEST = Duration.ofSeconds(2);

        public Http(String host, int port, String publicUrl, String notebookDomain, int sshPort) {
            this(host, port, publicUrl, notebookDomain, sshPort, null, DEFAULT_SLOW_REQUEST);
        }

        public Http(String host, int port, String publicUrl, String notebookDomain, int sshPort,
                    String metricsToken) {
            this(host, port, publicUrl, notebookDomain, sshPort, metricsToken, DEFAULT_SLOW_REQUEST);
        }

        public Http {
            positive(slowRequest, "the slow-request threshold");
            metricsToken = metricsToken == null || metricsToken.isBlank() ? null : metricsToken.trim();
            if (metricsToken != null && metricsToken.length() < 16) {
                throw new IllegalArgumentException("the metrics token (ATELIER_METRICS_TOKEN) must be at least 16 "
                        + "characters: it is all a scraper needs to read the metrics");
            }
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("the listening address (--host) must not be empty");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be between 0 and 65535, not " + port);
            }
            if (sshPort < -1 || sshPort > 65535) {
                throw new IllegalArgumentException("--ssh-port must be -1 (off) or between 0 and 65535, not "
                        + sshPort);
            }
            publicUrl = publicUrl == null || publicUrl.isBlank() ? null : publicUrl.replaceAll("/+$", "");
            notebookDomain = notebookDomain == null || notebookDomain.isBlank() ? null
                    : notebookDomain.toLowerCase(Locale.ROOT).replaceAll("^\\.+|\\.+$", "");
        }
    }

    /**
     * How instances run: the built-in image's {@code jupyter-server}, whether each is sandboxed (and whether the
     * server refuses to start where it cannot be), how sandboxed instances reach the network ({@code outbound},
     * {@code none} or {@code host}), how long a start may take and how long a stop waits before killing; and how many
     * servers are kept started ahead of demand, by image id ({@link #warmPool(String)}).
     */
    public record Instances(String jupyterCommand, boolean sandbox, boolean requireIsolation, String network,
                            Duration startTimeout, Duration stopGrace, java.util.Map<String, Integer> warmPool) {
        private static final Set<String> NETWORKS = Set.of("outbound", "none", "host");

        public Instances {
            sandbox = sandbox || requireIsolation;
            network = network == null || network.isBlank() ? DEFAULT_INSTANCE_NETWORK : network;
            if (!NETWORKS.contains(network)) {
                throw new IllegalArgumentException("--instance-network must be outbound, none or host, not "
                        + network);
            }
            positive(startTimeout, "the start timeout");
            positive(stopGrace, "the stop grace period");
            warmPool = warmPool == null ? java.util.Map.of() : java.util.Map.copyOf(warmPool);
        }

        /** No servers kept warm. */
        public Instances(String jupyterCommand, boolean sandbox, boolean requireIsolation, String network,
                         Duration startTimeout, Duration stopGrace) {
            this(jupyterCommand, sandbox, requireIsolation, network, startTimeout, stopGrace, java.util.Map.of());
        }

        public Instances withWarmPool(java.util.Map<String, Integer> value) {
            return new Instances(jupyterCommand, sandbox, requireIsolation, network, startTimeout, stopGrace, value);
        }
    }

    /** The most servers kept warm per image. */
    public static final int MAX_WARM_SERVERS = 64;

    /**
     * {@code --warm-pool}: {@code N} servers of the built-in image, and {@code IMAGE_ID=N} of another image, comma
     * separated (for example {@code 2,0d3c…=1}); 0 keeps none.
     */
    public static java.util.Map<String, Integer> warmPool(String spec) {
        java.util.Map<String, Integer> pool = new java.util.LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return pool;
        }
        for (String part : spec.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            String image = eq < 0 ? dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID : p.substring(0, eq).trim();
            String count = eq < 0 ? p : p.substring(eq + 1).trim();
            int n;
            try {
                n = Integer.parseInt(count);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0 || n > MAX_WARM_SERVERS || image.isEmpty() || pool.containsKey(image)) {
                throw new IllegalArgumentException("--warm-pool takes N (servers of the built-in image) and "
                        + "IMAGE_ID=N, comma separated, each image once, N from 0 to " + MAX_WARM_SERVERS + "; not "
                        + spec);
            }
            pool.put(image, n);
        }
        return pool;
    }

    /** How long instances' events are kept unless told otherwise. */
    public static final Duration DEFAULT_EVENT_RETENTION = Duration.ofDays(30);

    /**
     * The reconciler: how often a running instance is looked at, and how many instances it works on at once; and how
     * long the events it and the API record are kept.
     */
    public record Lifecycle(Duration healthInterval, int workers, Duration eventRetention) {
        public Lifecycle(Duration healthInterval, int workers) {
            this(healthInterval, workers, DEFAULT_EVENT_RETENTION);
        }

        public Lifecycle {
            positive(healthInterval, "the health interval");
            positive(eventRetention, "the event retention");
            if (workers < 1) {
                throw new IllegalArgumentException("the reconciler needs at least one worker, not " + workers);
            }
        }
    }

    /** How many failed sign-ins within the window slow down an account from one address, and an address. */
    public record SignIn(int perAccountAndAddress, int perAddress) {
        public static final SignIn DEFAULT = new SignIn(SignInLimiter.DEFAULT_PER_ACCOUNT_AND_ADDRESS,
                SignInLimiter.DEFAULT_PER_ADDRESS);

        public SignIn {
            if (perAccountAndAddress < 1 || perAddress < 1) {
                throw new IllegalArgumentException("sign-in limits must be positive");
            }
        }
    }

    public static ServerConfig defaults(Path dataDir, String host, int port, String databaseUrl) {
        return new ServerConfig(dataDir, databaseUrl, new Http(host, port, null, null, -1),
                new Instances(DEFAULT_JUPYTER, false, false, DEFAULT_INSTANCE_NETWORK, Duration.ofSeconds(60),
                        Duration.ofSeconds(10)),
                new Lifecycle(DEFAULT_HEALTH_INTERVAL, DEFAULT_RECONCILER_WORKERS), SignIn.DEFAULT, Engine.LOCAL);
    }

    public ServerConfig withHttp(Http value) {
        return new ServerConfig(dataDir, databaseUrl, value, instances, lifecycle, signIn, engine);
    }

    public ServerConfig withInstances(Instances value) {
        return new ServerConfig(dataDir, databaseUrl, http, value, lifecycle, signIn, engine);
    }

    /** Instances sandboxed or not (or required to be), on a network mode; the rest of {@link Instances} as it is. */
    public ServerConfig withIsolation(boolean sandbox, boolean require, String network) {
        return withInstances(new Instances(instances.jupyterCommand(), sandbox, require, network,
                instances.startTimeout(), instances.stopGrace(), instances.warmPool()));
    }

    /** Servers kept warm per image id ({@link #warmPool(String)}); the rest of {@link Instances} as it is. */
    public ServerConfig withWarmPool(java.util.Map<String, Integer> value) {
        return withInstances(instances.withWarmPool(value));
    }

    public ServerConfig withLifecycle(Lifecycle value) {
        return new ServerConfig(dataDir, databaseUrl, http, instances, value, signIn, engine);
    }

    public ServerConfig withEngine(Engine value) {
        return new ServerConfig(dataDir, databaseUrl, http, instances, lifecycle, signIn, value);
    }

    public ServerConfig withSignIn(SignIn value) {
        return new ServerConfig(dataDir, databaseUrl, http, instances, lifecycle, value, engine);
    }

    /** The local object store that {@code obs://} storage paths map to. */
    public Path objectStoreDir() {
        return dataDir.resolve("obs");
    }

    /** The JDBC URL in force: the one given, else an SQLite file in the data dir. */
    public String effectiveDatabaseUrl() {
        return databaseUrl != null && !databaseUrl.isBlank() ? databaseUrl
                : "jdbc:sqlite:" + dataDir.resolve("atelier.db").toAbsolutePath();
    }

    private static void positive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, not " + d);
        }
    }
}
