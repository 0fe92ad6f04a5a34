package dev.atelier.server;

import dev.atelier.core.auth.SignInLimiter;
import java.nio.file.Path;
import java.time.Duration;

/** Everything a server is started with. Built by the CLI from options and environment variables. */
public record ServerConfig(Path dataDir, String host, int port, String databaseUrl, String jupyterCommand,
                           Duration startTimeout, Duration stopGrace, Duration healthInterval,
                           int reconcilerWorkers, boolean sandbox, boolean requireIsolation,
                           int signInLimitPerAccountAndAddress, int signInLimitPerAddress, String publicUrl,
                           int sshPort, String notebookDomain, String instanceNetwork) {

    public ServerConfig {
        dataDir = dataDir.toAbsolutePath().normalize();
    }

    public ServerConfig(Path dataDir, String host, int port, String databaseUrl, String jupyterCommand,
                        Duration startTimeout, Duration stopGrace, Duration healthInterval, int reconcilerWorkers,
                        boolean sandbox, boolean requireIsolation) {
        this(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace, healthInterval,
                reconcilerWorkers, sandbox, requireIsolation, SignInLimiter.DEFAULT_PER_ACCOUNT_AND_ADDRESS,
                SignInLimiter.DEFAULT_PER_ADDRESS, null, -1, null, DEFAULT_INSTANCE_NETWORK);
    }

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

    public static ServerConfig defaults(Path dataDir, String host, int port, String databaseUrl) {
        return new ServerConfig(dataDir, host, port, databaseUrl, DEFAULT_JUPYTER, Duration.ofSeconds(60),
                Duration.ofSeconds(10), DEFAULT_HEALTH_INTERVAL, DEFAULT_RECONCILER_WORKERS, false, false);
    }

    public ServerConfig withIsolation(boolean sandboxInstances, boolean require) {
        return new ServerConfig(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace,
                healthInterval, reconcilerWorkers, sandboxInstances, require, signInLimitPerAccountAndAddress,
                signInLimitPerAddress, publicUrl, sshPort, notebookDomain, instanceNetwork);
    }

    /** How many failed sign-ins within 15 minutes lock out an account from one address, and an address. */
    public ServerConfig withSignInLimits(int perAccountAndAddress, int perAddress) {
        return new ServerConfig(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace,
                healthInterval, reconcilerWorkers, sandbox, requireIsolation, perAccountAndAddress, perAddress, publicUrl,
                sshPort, notebookDomain, instanceNetwork);
    }

    /**
     * The base URL clients reach this server at, when it is not the address it listens on (behind a
     * TLS-terminating proxy, or listening on 0.0.0.0); notebook URLs are built on it.
     */
    public ServerConfig withPublicUrl(String url) {
        return new ServerConfig(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace,
                healthInterval, reconcilerWorkers, sandbox, requireIsolation, signInLimitPerAccountAndAddress,
                signInLimitPerAddress, url == null || url.isBlank() ? null : url.replaceAll("/+$", ""), sshPort,
                notebookDomain, instanceNetwork);
    }

    /** The SSH gateway's port on the same address as the API: 0 picks a free one, -1 turns SSH off. */
    public ServerConfig withSshPort(int ssh) {
        return new ServerConfig(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace,
                healthInterval, reconcilerWorkers, sandbox, requireIsolation, signInLimitPerAccountAndAddress,
                signInLimitPerAddress, publicUrl, ssh, notebookDomain, instanceNetwork);
    }

    /**
     * Serves each instance's notebook on a host of its own, {@code <instance-id>.<domain>} (a wildcard DNS name
     * pointing at this server), so that one instance's pages cannot script another's: browsers keep origins
     * apart. Null: every notebook under the server's own host, told apart by path only.
     */
    public ServerConfig withNotebookDomain(String domain) {
        return new ServerConfig(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace,
                healthInterval, reconcilerWorkers, sandbox, requireIsolation, signInLimitPerAccountAndAddress,
                signInLimitPerAddress, publicUrl, sshPort, domain == null || domain.isBlank() ? null
                : domain.toLowerCase(java.util.Locale.ROOT).replaceAll("^\\.+|\\.+$", ""), instanceNetwork);
    }

    /** How sandboxed instances reach the network: {@code outbound}, {@code none} or {@code host}. */
    public ServerConfig withInstanceNetwork(String mode) {
        return new ServerConfig(dataDir, host, port, databaseUrl, jupyterCommand, startTimeout, stopGrace,
                healthInterval, reconcilerWorkers, sandbox, requireIsolation, signInLimitPerAccountAndAddress,
                signInLimitPerAddress, publicUrl, sshPort, notebookDomain,
                mode == null || mode.isBlank() ? DEFAULT_INSTANCE_NETWORK : mode);
    }

    /** The local object store that {@code obs://} storage paths map to. */
    public java.nio.file.Path objectStoreDir() {
        return dataDir.resolve("obs");
    }

    /** The JDBC URL in force: the one given, else an SQLite file in the data dir. */
    public String effectiveDatabaseUrl() {
        return databaseUrl != null && !databaseUrl.isBlank() ? databaseUrl
                : "jdbc:sqlite:" + dataDir.resolve("atelier.db").toAbsolutePath();
    }
}
