package dev.atelier.runtime.host;

import dev.atelier.core.model.Image;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.util.List;

/**
 * What every container runtime runs in an instance's container, whatever the engine: the notebook server's command
 * line, its user, its environment and where its volume and token are mounted.
 */
public final class NotebookContainer {
    /** Where Jupyter listens inside the container. */
    public static final int JUPYTER_PORT = 8888;
    /** The instance's user: uid and gid 1000, as in every image Atelier runs. */
    public static final int UID = 1000;
    public static final String HOME = "/home/ma-user";
    /** Where the server keeps its runtime files: its own token in its server file, the kernels' keys. */
    public static final String RUNTIME_DIR = "/tmp/.jupyter-runtime";
    /** Where the token file is mounted (read-only): Jupyter reads its token from it, not from its command line. */
    public static final String SECRET_DIR = "/etc/atelier";
    public static final String SECRET_FILE = "jupyter_server_config.json";
    public static final String SECRET_CONFIG = SECRET_DIR + "/" + SECRET_FILE;
    /** The work volume (without the trailing slash the API shows). */
    public static final String WORK = Volume.MOUNT_PATH.substring(0, Volume.MOUNT_PATH.length() - 1);
    /** Where storage attached to a running instance appears. */
    public static final String DATA = WORK + "/data";

    private NotebookContainer() {
    }

    /** The notebook server's command line: the token comes from {@link #SECRET_CONFIG}. */
    public static List<String> command(String instanceId) {
        return List.of("jupyter-server", "--config=" + SECRET_CONFIG, "--no-browser",
                "--ip=0.0.0.0", "--port=" + JUPYTER_PORT, "--port-retries=0",
                "--ServerApp.base_url=/notebook/" + instanceId + "/", "--ServerApp.root_dir=" + Volume.MOUNT_PATH,
                "--ServerApp.default_url=/tree", "--ServerApp.quit_button=False");
    }

    /** The notebook server's environment, as {@code NAME=value}. */
    public static List<String> env() {
        return List.of("HOME=" + HOME, "LANG=C.UTF-8", "SHELL=/bin/bash", "JUPYTER_RUNTIME_DIR=" + RUNTIME_DIR);
    }

    /** The token, as the Jupyter configuration file {@link #SECRET_CONFIG} holds it. */
    public static String tokenConfig(String token) {
        if (!token.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("a token is letters, digits, '-' and '_'");
        }
        return "{\"ServerApp\": {\"token\": \"" + token + "\"}}\n";
    }

    /** The image reference a container runtime runs for {@code image}; a failure where it is none. */
    public static String reference(Image image) {
        String reference = image.runnable();
        if (reference == null || reference.startsWith("/")) {
            throw new RuntimeFailure("image " + image.swrPath() + " is not a container image (it was registered "
                    + "on the local runtime); register it again as an image reference");
        }
        return reference;
    }
}
