package dev.atelier.runtime.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The Docker engine Atelier talks to, through the Engine API over its socket, and who this installation is to it:
 * every container, network and image it makes carries the installation's id, so that two installations on one
 * engine never touch each other's.
 *
 * @param registry where saved images are pushed and registered references are pulled from; null when none
 */
public record DockerEngine(DockerClient client, com.github.dockerjava.transport.DockerHttpClient http, String host, String installation, String registry, AuthConfig auth) {
    /** Label of everything Atelier makes on the engine: the installation it belongs to. */
    static final String INSTALLATION_LABEL = "dev.atelier.installation";
    /** Label of an instance's container and network: the instance's id. */
    static final String INSTANCE_LABEL = "dev.atelier.instance";
    /** Label of an instance's container: the API request that asked for it to run (its request id). */
    static final String REQUEST_LABEL = "dev.atelier.request-id";

    /**
     * Connects to the engine at {@code host} ({@code unix:///var/run/docker.sock}, {@code tcp://...}); the
     * installation's id is kept in the data dir, made on first use.
     */
    public static DockerEngine connect(String host, Path dataDir, String registry, String user, String password) {
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
        var http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .sslConfig(config.getSSLConfig()).maxConnections(64)
                .connectionTimeout(Duration.ofSeconds(3)).responseTimeout(Duration.ofMinutes(10)).build();
        AuthConfig auth = registry == null ? null : new AuthConfig().withRegistryAddress(registry)
                .withUsername(user).withPassword(password);
        return new DockerEngine(DockerClientImpl.getInstance(config, http), http, host, dev.atelier.runtime.host.InstallationId.of(dataDir), registry,
                auth);
    }

    /** Why the engine cannot be used, or null when it answers. */
    public String problem() {
        try {
            client.pingCmd().exec();
            return null;
        } catch (RuntimeException e) {
            return unreachable(e);
        }
    }

    /** What to tell a user when a call to the engine failed for want of an engine. */
    String unreachable(RuntimeException e) {
        return "the Docker engine at " + host + " does not answer (" + rootMessage(e) + "); start it (e.g. "
                + "`dockerd &` as root) and it is found again";
    }

    /** Whether a failure is the engine not answering at all, rather than an answer that says no. */
    static boolean isUnreachable(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A failed call to the engine as one line for a status message: that the engine does not answer, where it does
     * not, else what it answered to {@code doing}.
     */
    RuntimeFailure failure(String doing, RuntimeException e) {
        return isUnreachable(e) ? new RuntimeFailure(unreachable(e), e)
                : new RuntimeFailure(doing + ": " + rootMessage(e), e);
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        // the engine answers errors as JSON: {"message":"..."}
        var json = java.util.regex.Pattern.compile("\"message\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(m);
        return (json.find() ? json.group(1) : m).strip();
    }

    /** The name of an instance's container and network on the engine. */
    String nameOf(String instanceId) {
        return "atelier-" + installation + "-" + instanceId;
    }
}
