package dev.atelier.runtime.kubernetes;

import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;

/**
 * Images on a cluster: a registered reference is what the pod runs, pulled by the node that runs it (with the
 * configured pull secrets), so whether it exists is learned at the first start, where a failed pull says why.
 * Saving an instance as an image needs an image builder in the cluster, which this runtime does not drive: it is
 * refused when asked for.
 */
public final class ClusterImages implements ImageBuilder {
    static final String CANNOT_SAVE = "the Kubernetes runtime cannot save instances as images: it has no image "
            + "builder in the cluster (see docs/kubernetes.md); install what you need in the image you register, "
            + "or keep it in the work volume, which a stop keeps";

    @Override
    public Located locate(String reference, String namespace, String name, String tag) {
        return Located.found(reference);
    }

    @Override
    public String cannotSave() {
        return CANNOT_SAVE;
    }

    @Override
    public Saved save(String instanceId, String imageId, String namespace, String name, String tag) {
        throw new RuntimeFailure(CANNOT_SAVE);
    }

    @Override
    public void discard(String imageId, String runnable) {
        // nothing was saved
    }
}
