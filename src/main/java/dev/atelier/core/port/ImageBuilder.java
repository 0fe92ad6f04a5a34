package dev.atelier.core.port;

/**
 * What images are on a runtime: where a registered image is (what the runtime runs for it, its {@code runnable}),
 * and how a running instance is saved as a new image. Every method is idempotent.
 */
public interface ImageBuilder {

    /**
     * Finds image {@code namespace/name:tag} ({@code reference}: the whole reference the user gave, with its
     * registry, if any); a null runnable comes with the reason.
     */
    Located locate(String reference, String namespace, String name, String tag);

    /**
     * Captures what the instance's user changed outside their work volume (installed packages, configuration)
     * as the contents of image {@code namespace/name:tag}, whose id is {@code imageId}.
     * @throws InstanceRuntime.RuntimeFailure when it cannot
     */
    Saved save(String instanceId, String imageId, String namespace, String name, String tag);

    /**
     * Why this runtime cannot save instances as images at all (a cluster without an image builder), or null when it
     * can; a save is then refused when asked for, not failed later.
     */
    default String cannotSave() {
        return null;
    }

    /** Removes whatever {@link #save} left for the image; {@code runnable} is what it recorded. */
    void discard(String imageId, String runnable);

    /**
     * A located image: what to run ({@code runnable}), or why there is nothing ({@code problem}); where the
     * runtime knows them, its size, architecture ({@code x86_64}, {@code aarch64}) and creation time (epoch ms).
     */
    record Located(String runnable, String problem, long sizeKb, String arch, Long createdAt) {
        public static Located found(String runnable) {
            return new Located(runnable, null, 0, null, null);
        }

        public static Located missing(String problem) {
            return new Located(null, problem, 0, null, null);
        }
    }

    /**
     * A saved image: what to run for it ({@code runnable}), and, on a runtime that keeps a saved home beside the
     * image, that home ({@code skeleton}, else null).
     */
    record Saved(String runnable, String skeleton, long sizeKb) {
    }
}
