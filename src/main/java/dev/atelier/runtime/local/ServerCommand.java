package dev.atelier.runtime.local;

import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The notebook server's command line and environment, and what of the host a sandboxed server is given. */
final class ServerCommand {
    private ServerCommand() {
    }

    /**
     * {@code jupyter-server} on {@code port} under {@code baseUrl}, rooted in the work volume; in a network of its own
     * ({@code ownNetwork}) it listens on that network's link, where the forwarded port arrives.
     */
    static List<String> jupyter(Path jupyter, boolean ownNetwork, int port, String baseUrl, Path seenHome) {
        return List.of(jupyter.toString(), "--no-browser", "--allow-root",
                ownNetwork ? "--ip=0.0.0.0" : "--ip=127.0.0.1",
                "--port=" + port, "--port-retries=0", "--ServerApp.base_url=" + baseUrl,
                "--ServerApp.root_dir=" + seenHome.resolve("work"), "--ServerApp.default_url=/tree",
                // the instance lives as long as Atelier says, not until someone clicks Quit
                "--ServerApp.quit_button=False");
    }

    /** A clean environment: nothing of the server's own (a database URL, say); the token where no command line shows it. */
    static Map<String, String> environment(String token, Path seenHome, String runtimeDir) {
        return Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", seenHome.toString(), "LANG", "C.UTF-8",
                "JUPYTER_TOKEN", token, "JUPYTER_CONFIG_DIR", seenHome.resolve(".jupyter").toString(),
                "JUPYTER_DATA_DIR", seenHome.resolve(".local/share/jupyter").toString(),
                "JUPYTER_RUNTIME_DIR", runtimeDir, "IPYTHONDIR", seenHome.resolve(".ipython").toString());
    }

    /**
     * The host GPUs a GPU flavor gets: the first {@code count} of /dev/nvidia0..N. (Sharing GPUs among
     * instances is not arbitrated yet: two instances of a GPU flavor get the same devices.)
     */
    static List<Integer> gpusFor(LaunchSpec spec) {
        if (spec.flavor().gpu() == null) {
            return List.of();
        }
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i < 64 && found.size() < spec.flavor().gpu().count(); i++) {
            if (Files.exists(Path.of("/dev/nvidia" + i))) {
                found.add(i);
            }
        }
        if (found.size() < spec.flavor().gpu().count()) {
            throw new RuntimeFailure("flavor " + spec.flavor().id() + " needs " + spec.flavor().gpu().count()
                    + " GPU(s) and this host has " + found.size());
        }
        return found;
    }

    /** A registered image's environment outside /usr has to be visible (read-only) inside the sandbox. */
    static Path imageEnvironment(Path jupyter) {
        Path env = jupyter.toAbsolutePath().getParent().getParent();
        return env.startsWith("/usr") ? null : env;
    }

}
