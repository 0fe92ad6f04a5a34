package dev.atelier.runtime.local;

import dev.atelier.runtime.host.HostMounts;
import dev.atelier.runtime.host.Trees;
import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * What an image is for the local runtime. A registered image {@code namespace/name:tag} is the Python
 * environment at {@code <data-dir>/images/<namespace>/<name>/<tag>/} (it must have {@code bin/jupyter-server}).
 * A saved image is its source image's environment plus a copy of the source instance's home directory without
 * the work volume — what {@code pip install --user} installed under {@code ~/.local}, Jupyter and IPython
 * configuration, shell start-up files — kept at {@code <data-dir>/images/saved/<image-id>/home/}, which seeds
 * the home of every instance created from it.
 */
public final class LocalImages implements ImageBuilder {
    /** Top-level entries of a home that are not part of a saved image: the volume and Atelier's own files. */
    static final Set<String> NOT_SAVED = Set.of("work", ".atelier");

    private final Path imagesDir;
    private final LocalProcessRuntime runtime;

    public LocalImages(Path dataDir, LocalProcessRuntime runtime) {
        this.imagesDir = dataDir.toAbsolutePath().normalize().resolve("images");
        this.runtime = runtime;
    }

    @Override
    public Located locate(String reference, String namespace, String name, String tag) {
        Path env = imagesDir.resolve(namespace).resolve(name).resolve(tag).normalize();
        if (!env.startsWith(imagesDir) || namespace.equals("saved")) {
            return Located.missing("not a valid image location: " + namespace + "/" + name + ":" + tag);
        }
        Path server = env.resolve("bin/jupyter-server");
        return Files.isExecutable(server) ? Located.found(server.toString())
                // the data dir's place on the host is the operator's to know, not every project member's
                : Located.missing("no environment with bin/jupyter-server at <data-dir>/images/"
                        + imagesDir.relativize(env) + " on this server");
    }

    @Override
    public Saved save(String instanceId, String imageId, String namespace, String name, String tag) {
        Path home = runtime.home(instanceId);
        if (!Files.isDirectory(home)) {
            throw new RuntimeFailure("the instance has no home directory to save");
        }
        Path target = skeleton(imageId);
        try {
            Trees.delete(target);
            var owner = runtime.sandboxUid(instanceId);
            long bytes;
            if (owner.isPresent()) {
                bytes = copyAsOwner(home, target, owner.getAsInt());
            } else {
                bytes = Trees.copy(home, target, NOT_SAVED);
            }
            // the source image's environment, with this home
            return new Saved(null, target.toString(), (bytes + 1023) / 1024);
        } catch (IOException | RuntimeException e) {
            Trees.delete(target);
            throw new RuntimeFailure("cannot copy the instance's home: " + e.getMessage(), e);
        }
    }

    /**
     * A sandboxed instance's home is the user's, and changes while it runs: it is copied with the user's own
     * rights (so a link swapped in mid-copy can reach nothing the user could not read anyway), then handed to
     * root. Links are copied as links.
     */
    private static long copyAsOwner(Path home, Path target, int uid) throws IOException {
        Files.createDirectories(target);
        Files.setAttribute(target, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        StringBuilder excludes = new StringBuilder();
        for (String name : NOT_SAVED) {
            excludes.append(" --exclude=./").append(name);
        }
        HostMounts.run(Sandbox.SETPRIV, "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "/bin/sh", "-c",
                "cd \"$1\" && tar" + excludes + " -cf - . | tar -C \"$2\" -xpf -", "atelier-save", home.toString(),
                target.toString());
        Sandbox.chown(target, 0);
        try (var files = Files.walk(target)) {
            return files.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    @Override
    public void discard(String imageId, String runnable) {
        Trees.delete(skeleton(imageId).getParent());
    }

    private Path skeleton(String imageId) {
        if (!imageId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an image id: " + imageId);
        }
        return imagesDir.resolve("saved").resolve(imageId).resolve("home");
    }
}
