package dev.atelier.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code atelier} command line. No logger here: logging is set up once the data dir is known. */
@Command(name = "atelier", mixinStandardHelpOptions = true, version = "atelier 0.1.0",
        description = "Self-hosted Jupyter notebook instances behind the ModelArts DevEnviron API.",
        subcommands = {Main.Serve.class, ApiCommand.class, AdminCommands.User.class, AdminCommands.Key.class,
                ProjectCommands.class, AdminCommands.Audit.class, QuotaCommands.class, NotebookCommands.class,
                WorkspaceCommands.class, LoginCommand.class, ResourceCommands.Image.class,
                ResourceCommands.Keypair.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line, with failures reported in one line each rather than as stack traces. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("atelier: " + rootMessage(e));
            return 2;
        });
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Start the server with embedded defaults (SQLite in the data dir, local process runtime).")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--data-dir", defaultValue = "${env:ATELIER_DATA_DIR:-./atelier-data}",
                description = "Data directory: database, instance volumes, logs (env ATELIER_DATA_DIR; default ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--host", defaultValue = "${env:ATELIER_HOST:-127.0.0.1}",
                description = "Address to listen on (env ATELIER_HOST; default ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "${env:ATELIER_PORT:-8080}",
                description = "Port to listen on; 0 picks a free one (env ATELIER_PORT; default ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--database-url", defaultValue = "${env:ATELIER_DATABASE_URL}",
                description = "JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/atelier?user=atelier&password=... "
                        + "(env ATELIER_DATABASE_URL; default: SQLite file atelier.db in the data dir).")
        String databaseUrl;

        @Option(names = "--sandbox", negatable = true, defaultValue = "${env:ATELIER_SANDBOX:-true}",
                fallbackValue = "true",
                description = "Run every instance in a bubblewrap sandbox under its own uid, with its flavor's CPU, "
                        + "memory and process limits and a capacity-capped volume, where the host allows (root, "
                        + "bubblewrap, cgroups); otherwise instances run unsandboxed and the server says why. "
                        + "On by default; --no-sandbox turns it off (env ATELIER_SANDBOX).")
        boolean sandbox;

        @Option(names = "--public-url", defaultValue = "${env:ATELIER_PUBLIC_URL}",
                description = "The base URL clients reach the server at, e.g. https://atelier.example.com behind a "
                        + "TLS-terminating proxy; notebook URLs are built on it (env ATELIER_PUBLIC_URL; default: the "
                        + "address the server listens on).")
        String publicUrl;

        @Option(names = "--notebook-domain", defaultValue = "${env:ATELIER_NOTEBOOK_DOMAIN}",
                description = "Serve each notebook on a host of its own, <instance-id>.DOMAIN (point a wildcard DNS "
                        + "name at the server), so that one user's notebook pages cannot script another's; "
                        + "recommended whenever users do not trust each other (env ATELIER_NOTEBOOK_DOMAIN; default: "
                        + "all notebooks under the server's own host).")
        String notebookDomain;

        @Option(names = "--ssh-port", defaultValue = "${env:ATELIER_SSH_PORT:-2222}",
                description = "Port of the SSH gateway (ssh -p PORT <instance-id>@host), on the same address as the "
                        + "API; 0 picks a free one, -1 turns SSH off (env ATELIER_SSH_PORT; default ${DEFAULT-VALUE}).")
        int sshPort;

        @Option(names = "--instance-network", defaultValue = "${env:ATELIER_INSTANCE_NETWORK:-outbound}",
                description = "How sandboxed instances reach the network: outbound (a network namespace each, with "
                        + "outbound access, the host's loopback and other instances unreachable), none (the same "
                        + "without outbound access) or host (the host's network, shared) (env "
                        + "ATELIER_INSTANCE_NETWORK; default ${DEFAULT-VALUE}).")
        String instanceNetwork;

        @Option(names = "--warm-pool", defaultValue = "${env:ATELIER_WARM_POOL:-2}",
                description = "Notebook servers kept started ahead of demand on the local runtime, so that a new "
                        + "instance is ready at once: N of the built-in image, IMAGE_ID=N of another, comma separated; "
                        + "0 keeps none (env ATELIER_WARM_POOL; default ${DEFAULT-VALUE}).")
        String warmPool;

        @Option(names = "--require-isolation", defaultValue = "${env:ATELIER_REQUIRE_ISOLATION:-false}",
                description = "Refuse to start instances that cannot be sandboxed (env ATELIER_REQUIRE_ISOLATION).")
        boolean requireIsolation;

        @Option(names = "--runtime", defaultValue = "${env:ATELIER_RUNTIME:-local}",
                description = "Where instances run: local (a sandboxed process each), docker (a container each, "
                        + "through the Docker Engine API) or kubernetes (a pod each, in a cluster) (env ATELIER_RUNTIME; "
                        + "default ${DEFAULT-VALUE}).")
        String runtime;

        @Option(names = "--docker-host", defaultValue = "${env:ATELIER_DOCKER_HOST:-unix:///var/run/docker.sock}",
                description = "The Docker engine of --runtime docker (env ATELIER_DOCKER_HOST; default "
                        + "${DEFAULT-VALUE}).")
        String dockerHost;

        @Option(names = "--docker-network", defaultValue = "${env:ATELIER_DOCKER_NETWORK:-auto}",
                description = "Which bridge networks --runtime docker puts instances on, traffic between instances "
                        + "dropped on each: bridge (the engine's default one; needs dockerd --icc=false), shared (one "
                        + "of the installation's), per-instance, or auto, the first of these that keeps instances apart "
                        + "on this host (env ATELIER_DOCKER_NETWORK; default ${DEFAULT-VALUE}).")
        String dockerNetwork;

        @Option(names = "--registry", defaultValue = "${env:ATELIER_REGISTRY}",
                description = "An image registry, HOST:PORT: saved images are pushed there, registered references "
                        + "pulled from there (env ATELIER_REGISTRY; credentials in ATELIER_REGISTRY_USER and "
                        + "ATELIER_REGISTRY_PASSWORD).")
        String registry;

        @Option(names = "--kubeconfig", defaultValue = "${env:ATELIER_KUBECONFIG}",
                description = "The kubeconfig of --runtime kubernetes (env ATELIER_KUBECONFIG; default: KUBECONFIG, "
                        + "~/.kube/config, or the service account of the pod Atelier runs in).")
        Path kubeconfig;

        @Option(names = "--namespace", defaultValue = "${env:ATELIER_NAMESPACE:-atelier-instances}",
                description = "The namespace instances' pods are made in, or with {project} in it a namespace per "
                        + "project, e.g. atelier-{project} (env ATELIER_NAMESPACE; default ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--namespace-source", defaultValue = "${env:ATELIER_NAMESPACE_SOURCE:-atelier-instances}",
                description = "With a namespace per project: the namespace whose NetworkPolicies and image pull "
                        + "secrets each project's namespace gets a copy of (env ATELIER_NAMESPACE_SOURCE; default "
                        + "${DEFAULT-VALUE}).")
        String namespaceSource;

        @Option(names = "--installation", defaultValue = "${env:ATELIER_INSTALLATION}",
                description = "This installation's name in the cluster, the same for all its replicas (env "
                        + "ATELIER_INSTALLATION; default: the data dir's id).")
        String installation;

        @Option(names = "--storage-class", defaultValue = "${env:ATELIER_STORAGE_CLASS}",
                description = "The storage class of instances' work volumes (env ATELIER_STORAGE_CLASS; default: the "
                        + "cluster's default).")
        String storageClass;

        @Option(names = "--image-pull-secrets", defaultValue = "${env:ATELIER_IMAGE_PULL_SECRETS}",
                description = "Image pull secrets for instances' pods, comma-separated (env "
                        + "ATELIER_IMAGE_PULL_SECRETS).")
        String pullSecrets;

        @Option(names = "--cluster-access", defaultValue = "${env:ATELIER_CLUSTER_ACCESS:-pod-ip}",
                description = "How notebooks in the cluster are reached: pod-ip (Atelier runs in the cluster, or routes "
                        + "to pods) or port-forward (through the API server, from outside it) (env "
                        + "ATELIER_CLUSTER_ACCESS; default ${DEFAULT-VALUE}).")
        String clusterAccess;

        @Option(names = "--log-format", defaultValue = "${env:ATELIER_LOG_FORMAT:-text}",
                description = "text (for people) or json (one object a line, for a log collector) (env "
                        + "ATELIER_LOG_FORMAT; default ${DEFAULT-VALUE}).")
        String logFormat;

        @Option(names = "--slow-request-ms", defaultValue = "${env:ATELIER_SLOW_REQUEST_MS:-2000}",
                description = "API requests slower than this are logged as slow, with their request id (env "
                        + "ATELIER_SLOW_REQUEST_MS; default ${DEFAULT-VALUE}).")
        long slowRequestMs;

        @Option(names = "--metrics-token", defaultValue = "${env:ATELIER_METRICS_TOKEN}",
                description = "The bearer token Prometheus reads /metrics with; without one only the service "
                        + "administrator may read them (env ATELIER_METRICS_TOKEN; prefer the variable: a command "
                        + "line is visible to every user of the host).")
        String metricsToken;

        @Option(names = "--event-retention-days", defaultValue = "${env:ATELIER_EVENT_RETENTION_DAYS:-30}",
                description = "How many days an instance's events are kept; they go with the instance when it is "
                        + "deleted, whatever their age (env ATELIER_EVENT_RETENTION_DAYS; default ${DEFAULT-VALUE}).")
        int eventRetentionDays;

        @Override
        public Integer call() throws Exception {
            if (port < 0 || port > 65535) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--port must be 0 to 65535");
            }
            if (eventRetentionDays < 1 || eventRetentionDays > 36_500) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--event-retention-days must be 1 to 36500");
            }
            try {
                Bootstrap.dataDir(dataDir); // before logging starts, which creates <data-dir>/logs
            } catch (RuntimeException e) {
                System.err.println("atelier: cannot start: " + rootMessage(e));
                return 1;
            }
            if (!logFormat.equals("text") && !logFormat.equals("json")) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--log-format must be text or json");
            }
            if (slowRequestMs < 1) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--slow-request-ms must be positive");
            }
            String taken = portTaken(host, port);
            if (taken != null) { // said before anything starts (servers kept warm, the reconciler)
                System.err.println("atelier: cannot start: " + taken);
                return 1;
            }
            System.setProperty("atelier.log.dir", dataDir.resolve("logs").toAbsolutePath().toString());
            if (logFormat.equals("json")) {
                System.setProperty("logback.configurationFile", "logback-json.xml");
            }
            Atelier atelier;
            try {
                atelier = Atelier.start(ServerConfig.defaults(dataDir, host, port, databaseUrl)
                        .withHttp(new ServerConfig.Http(host, port, publicUrl, notebookDomain, sshPort,
                                metricsToken, java.time.Duration.ofMillis(slowRequestMs)))
                        .withIsolation(sandbox, requireIsolation, instanceNetwork)
                        .withWarmPool(ServerConfig.warmPool(warmPool))
                        .withLifecycle(new ServerConfig.Lifecycle(ServerConfig.DEFAULT_HEALTH_INTERVAL,
                                ServerConfig.DEFAULT_RECONCILER_WORKERS, Duration.ofDays(eventRetentionDays)))
                        .withEngine(new ServerConfig.Engine(runtime, dockerHost, registry,
                                System.getenv("ATELIER_REGISTRY_USER"), System.getenv("ATELIER_REGISTRY_PASSWORD"),
                                new ServerConfig.Cluster(kubeconfig, namespace, installation, storageClass,
                                        ServerConfig.Cluster.names(pullSecrets), clusterAccess, namespaceSource),
                                dockerNetwork)));
            } catch (RuntimeException e) {
                System.err.println("atelier: cannot start: " + rootMessage(e));
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(1);
            var accessLog = AccessLogFlusher.start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    atelier.close();
                } finally {
                    // the access log is written in blocks: what it still holds goes to the file now
                    accessLog.close();
                    if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext l) {
                        l.stop();
                    }
                    stopped.countDown();
                }
            }, "shutdown"));
            printWelcome(atelier);
            stopped.await();
            return 0;
        }

        private void printWelcome(Atelier atelier) {
            Path creds = dataDir.resolve(Bootstrap.CREDENTIALS_FILE).toAbsolutePath().normalize();
            System.out.println();
            System.out.println("Atelier API: " + atelier.apiUrl());
            System.out.println("Web console: " + atelier.apiUrl() + "/console/ (sign in as the administrator)");
            if (atelier.sshPort() >= 0) {
                System.out.println("SSH gateway: port " + atelier.sshPort() + " (ssh -p " + atelier.sshPort()
                        + " <instance-id>@host)");
            }
            if (atelier.credentialsFile() != null) {
                System.out.println("Administrator credentials written to " + creds + " (mode 0600).");
            } else {
                System.out.println("Credentials: " + creds);
            }
            System.out.println("Try it (signs the request with those credentials):");
            String dd = dataDir.toString().equals("./atelier-data") ? "" : " --data-dir " + dataDir;
            System.out.println("  bin/atelier api" + dd + " GET /v1/{project_id}/notebooks");
            System.out.println("Stop with Ctrl-C. Running instances keep running and are found again on the next start.");
            System.out.println();
        }
    }

    /**
     * Why {@code host:port} cannot be listened on (another process holds it, or the address is not this host's), or
     * null when it can be, or when any free port will do (0).
     */
    static String portTaken(String host, int port) {
        if (port == 0) {
            return null;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true); // as the server itself will: a port left in TIME_WAIT is free
            probe.bind(new java.net.InetSocketAddress(host, port));
            return null;
        } catch (java.net.BindException e) {
            return "port " + port + " on " + host + " is in use, or not an address of this host (" + e.getMessage()
                    + "); give another with --port";
        } catch (java.io.IOException | IllegalArgumentException | SecurityException e) {
            return null; // the server's own start says what is wrong
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
