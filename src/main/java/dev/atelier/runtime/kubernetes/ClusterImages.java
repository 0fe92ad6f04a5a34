package dev.atelier.runtime.kubernetes;

import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Images on a cluster: a registered reference is what the pod runs, pulled by the node that runs it (with the
 * configured pull secrets), so whether it exists is learned at the first start, where a failed pull says why.
 *
 * <p>Saving an instance as an image needs a registry (configured): what the user changed in the pod
 * ({@link PodChanges}) becomes one more layer on the image the pod runs, pushed to
 * {@code <registry>/<namespace>/<name>:<tag>} by Atelier itself ({@link LayerPush}), with no image builder in the
 * cluster and nothing privileged. Without a registry, a save is refused when asked for.
 */
public final class ClusterImages implements ImageBuilder {
    private static final Logger log = LoggerFactory.getLogger(ClusterImages.class);
    static final String CANNOT_SAVE = "the Kubernetes runtime cannot save instances as images without an image "
            + "registry to push them to (--registry; see docs/kubernetes.md); install what you need in the image "
            + "you register, or keep it in the work volume, which a stop keeps";

    private final String registry;
    private final LayerPush push;
    private final PodChanges changes;
    private final Path scratch;

    /** Images that cannot be saved. */
    public ClusterImages() {
        this(null, null, null, null, null);
    }

    /**
     * @param registry where saved images are pushed ({@code host[:port]}); null: saving is refused
     * @param scratch a directory for a save's files while it is under way
     */
    ClusterImages(String registry, String user, String password, PodChanges changes, Path scratch) {
        this.registry = registry;
        this.push = registry == null ? null : new LayerPush(registry, user, password);
        this.changes = changes;
        this.scratch = scratch;
    }

    /** Images that are saved to {@code registry} (null: refused), from the pods of {@code runtime}. */
    public static ClusterImages of(KubernetesRuntime runtime, String registry, String user, String password,
                                   Path scratch) {
        return new ClusterImages(registry, user, password, runtime.changes(), scratch);
    }

    @Override
    public Located locate(String reference, String namespace, String name, String tag) {
        return Located.found(reference);
    }

    @Override
    public String cannotSave() {
        return registry == null ? CANNOT_SAVE : null;
    }

    @Override
    public Saved save(String instanceId, String imageId, String namespace, String name, String tag) {
        if (registry == null) {
            throw new RuntimeFailure(CANNOT_SAVE);
        }
        String target = registry + "/" + namespace + "/" + name + ":" + tag;
        Path tar = null;
        try {
            Files.createDirectories(scratch);
            tar = Files.createTempFile(scratch, "changes-", ".tar");
            String base = changes.capture(instanceId, tar);
            var pushed = push.push(base, tar, target, "saved by Atelier from instance " + instanceId);
            log.info("instance {}: saved as image {} ({} on {}, {} bytes of changes)", instanceId, target,
                    pushed.digest(), base, Files.size(tar));
            // by digest: the tag may be pushed again (by another project, or after a delete), the image stays this one
            String pinned = registry + "/" + namespace + "/" + name + "@" + pushed.digest();
            return new Saved(pinned, null, (pushed.size() + 1023) / 1024);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot save the instance as " + target + ": " + e.getMessage(), e);
        } finally {
            if (tar != null) {
                try {
                    Files.deleteIfExists(tar);
                } catch (IOException e) {
                    log.debug("cannot remove {}: {}", tar, e.toString());
                }
            }
        }
    }

    @Override
    public void discard(String imageId, String runnable) {
        // what a registry holds is the registry's to keep or collect
    }
}
