package dev.atelier.runtime.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.atelier.runtime.host.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;

/**
 * The built-in image, {@value #REFERENCE}: Debian 12 with jupyter-server, ipykernel and the classic notebook UI,
 * and the user {@code ma-user} (uid 1000, home {@code /home/ma-user}). Built by Atelier itself where the engine
 * lacks it, with no registry: a minimal Debian root file system made by {@code debootstrap}, the packages installed
 * in it, imported into the engine. Once: later starts find it on the engine. Needs root, debootstrap and a Debian
 * mirror; elsewhere, load an image of that name (see docs/images.md).
 */
public final class BaseImage {
    public static final String REFERENCE = "atelier/debian-jupyter:12";
    static final String MIRROR = "http://deb.debian.org/debian";
    static final List<String> PACKAGES = List.of("jupyter-server", "python3-ipykernel", "python3-nbclassic",
            "ca-certificates", "bash", "openssh-sftp-server");

    private BaseImage() {
    }

    /**
     * Builds the image unless the engine has it; {@code progress} hears what is going on. One build at a time: in
     * this process (launches waiting for it) and on this host (a lock file, for other installations).
     */
    public static void ensure(DockerEngine engine, Path workDir, Consumer<String> progress) {
        if (present(engine)) {
            return;
        }
        synchronized (BaseImage.class) {
            buildOnce(engine, workDir, progress);
        }
    }

    private static void buildOnce(DockerEngine engine, Path workDir, Consumer<String> progress) {
        // one build at a time on this host, whichever installation asks
        Path lockFile = Path.of(System.getProperty("java.io.tmpdir"), "atelier-base-image.lock");
        try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var held = lock.lock()) {
            if (present(engine)) {
                return; // another built it meanwhile
            }
            build(engine, workDir, progress);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot build the built-in image: " + e.getMessage(), e);
        }
    }

    private static boolean present(DockerEngine engine) {
        try {
            engine.client().inspectImageCmd(REFERENCE).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw engine.failure("cannot look up image " + REFERENCE, e);
        }
    }

    private static void build(DockerEngine engine, Path workDir, Consumer<String> progress) throws IOException {
        if (!"root".equals(System.getProperty("user.name")) || !Files.isExecutable(Path.of("/usr/sbin/debootstrap"))) {
            throw new RuntimeFailure("the Docker engine has no image " + REFERENCE + " and this host cannot build it "
                    + "(it takes root and debootstrap: apt-get install debootstrap); or load one of that name, "
                    + "see docs/images.md");
        }
        Path rootfs = workDir.resolve("base-image-rootfs");
        Trees.delete(rootfs);
        Files.createDirectories(workDir);
        try {
            long start = System.nanoTime();
            progress.accept("building the built-in image " + REFERENCE + " (once; about a minute): Debian 12 base");
            run(progress, "/usr/sbin/debootstrap", "--variant=minbase", "bookworm", rootfs.toString(), MIRROR);
            progress.accept("building " + REFERENCE + ": installing " + String.join(", ", PACKAGES));
            run(progress, "/usr/sbin/chroot", rootfs.toString(), "/bin/sh", "-c",
                    "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
                            + String.join(" ", PACKAGES)
                            + " && apt-get clean && rm -rf /var/lib/apt/lists/*"
                            + " && useradd -u 1000 -U -m -d /home/ma-user -s /bin/bash ma-user"
                            + " && mkdir -p /home/ma-user/work && chown 1000:1000 /home/ma-user/work");
            progress.accept("building " + REFERENCE + ": importing it into the Docker engine");
            Process tar = new ProcessBuilder("tar", "--numeric-owner", "-C", rootfs.toString(), "-cf", "-", ".")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (InputStream stream = tar.getInputStream()) {
                importRootfs(engine, stream);
            }
            if (tar.waitFor() != 0) {
                throw new RuntimeFailure("cannot pack the built-in image's files");
            }
            progress.accept("built " + REFERENCE + " in " + (System.nanoTime() - start) / 1_000_000_000 + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("building the built-in image was interrupted");
        } finally {
            Trees.delete(rootfs);
        }
    }

    /**
     * {@code POST /images/create?fromSrc=-}: the root file system as the request body. Sent through the client's
     * transport, since the client's own import command encodes a stream as JSON.
     */
    private static void importRootfs(DockerEngine engine, InputStream tar) throws IOException {
        String repo = REFERENCE.substring(0, REFERENCE.indexOf(':'));
        String tag = REFERENCE.substring(REFERENCE.indexOf(':') + 1);
        var request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.POST)
                .path("/images/create?fromSrc=-&repo=" + repo + "&tag=" + tag)
                .putHeader("Content-Type", "application/x-tar").body(tar).build();
        try (var response = engine.http().execute(request)) {
            String body = new String(response.getBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (response.getStatusCode() != 200 || body.contains("\"error\"")) {
                throw new RuntimeFailure("the Docker engine refused the built-in image: " + body.strip());
            }
        }
    }

    private static void run(Consumer<String> progress, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> tail = new java.util.ArrayList<>();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            String line;
            int count = 0;
            while ((line = lines.readLine()) != null) {
                tail.add(line);
                if (tail.size() > 10) {
                    tail.remove(0);
                }
                if (++count % 50 == 0) {
                    progress.accept("  ... " + line);
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new RuntimeFailure(command[0] + " failed:\n" + String.join("\n", tail));
        }
    }
}
