package dev.atelier.core.port;

/**
 * What images are on a runtime: where a registered image's notebook server is, and how a running instance is
 * saved as a new image. Every method is idempotent.
 */
public interface ImageBuilder {

    /** Finds the environment of {@code namespace/name:tag}; a null command comes with the reason. */
    Located locate(String namespace, String name, String tag);

    /**
     * Captures what the instance's user changed outside their work volume (installed packages, configuration)
     * as the contents of image {@code imageId}.
     * @throws InstanceRuntime.RuntimeFailure when it cannot
     */
    Saved save(String instanceId, String imageId);

    /** Removes whatever {@link #save} left for the image. */
    void discard(String imageId);

    record Located(String jupyterCommand, String problem) {
    }

    record Saved(String skeleton, long sizeKb) {
    }
}
