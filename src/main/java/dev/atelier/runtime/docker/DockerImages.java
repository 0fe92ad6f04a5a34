package dev.atelier.runtime.docker;

import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.command.PullImageResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.PushResponseItem;
import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.time.OffsetDateTime;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an image is on the Docker runtime: an image on the engine, named by its reference
 * ({@code [registry/]namespace/name:tag}). Registering one looks it up on the engine (pulling it first when it names
 * a registry, or when a registry is configured and the engine lacks it); its size, architecture and creation time
 * are the image's own. Saving an instance commits its container into {@code [registry/]namespace/name:tag}, pushed
 * when a registry is configured.
 */
public final class DockerImages implements ImageBuilder {
    private static final Logger log = LoggerFactory.getLogger(DockerImages.class);
    private static final long PULL_MINUTES = 30;

    private final DockerEngine engine;

    public DockerImages(DockerEngine engine) {
        this.engine = engine;
    }

    @Override
    public Located locate(String reference, String namespace, String name, String tag) {
        String ref = withTag(reference);
        try {
            InspectImageResponse image = find(engine, ref);
            if (image == null) {
                return Located.missing("image " + ref + " is not on the Docker engine" + (hasRegistry(ref)
                        || engine.registry() != null ? " and could not be pulled" : " (load it with docker pull, "
                        + "docker load or docker build, or configure a registry)"));
            }
            long sizeKb = image.getSize() == null ? 0 : (image.getSize() + 1023) / 1024;
            String arch = "arm64".equals(image.getArch()) ? "aarch64" : "amd64".equals(image.getArch()) ? "x86_64"
                    : image.getArch();
            Long created = null;
            try {
                created = image.getCreated() == null ? null : OffsetDateTime.parse(image.getCreated()).toInstant()
                        .toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                // left to the registration time
            }
            return new Located(ref, null, sizeKb, arch, created);
        } catch (RuntimeFailure e) {
            return Located.missing(e.getMessage());
        }
    }

    /** The image, pulled first where it is missing and a registry can have it; null when there is none. */
    private static InspectImageResponse find(DockerEngine engine, String ref) {
        return find(engine, ref, () -> { });
    }

    /** As {@link #find(DockerEngine, String)}; {@code pulling} hears that a pull begins (it can take a while). */
    private static InspectImageResponse find(DockerEngine engine, String ref, Runnable pulling) {
        try {
            return engine.client().inspectImageCmd(ref).exec();
        } catch (NotFoundException e) {
            if (!hasRegistry(ref) && engine.registry() == null) {
                return null;
            }
        } catch (RuntimeException e) {
            throw engine.failure("cannot look up image " + ref, e);
        }
        pulling.run();
        String pulled = pull(engine, ref);
        try {
            return engine.client().inspectImageCmd(pulled).exec();
        } catch (NotFoundException e) {
            return null;
        }
    }

    /**
     * Makes sure the engine has the image a launch needs, pulling it where it can.
     * @throws RuntimeFailure saying what is missing
     */
    static void ensurePresent(DockerEngine engine, String ref, Runnable pulling) {
        if (find(engine, ref, pulling) == null) {
            throw new RuntimeFailure("image " + ref + " is not on the Docker engine");
        }
    }

    /** Pulls the reference (from the configured registry when it names none); the reference pulled. */
    private static String pull(DockerEngine engine, String ref) {
        String from = hasRegistry(ref) ? ref : engine.registry() + "/" + ref;
        int colon = from.lastIndexOf(':');
        log.info("pulling image {}", from);
        try {
            var cmd = engine.client().pullImageCmd(from.substring(0, colon)).withTag(from.substring(colon + 1));
            if (engine.auth() != null && engine.auth().getUsername() != null) {
                cmd.withAuthConfig(engine.auth());
            }
            if (!cmd.exec(new PullImageResultCallback()).awaitCompletion(PULL_MINUTES, TimeUnit.MINUTES)) {
                throw new RuntimeFailure("pull of " + from + " did not finish within " + PULL_MINUTES + " minutes");
            }
            if (!from.equals(ref)) {
                engine.client().tagImageCmd(from, ref.substring(0, ref.lastIndexOf(':')),
                        ref.substring(ref.lastIndexOf(':') + 1)).exec();
            }
            return ref;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("pull of " + from + " was interrupted");
        } catch (RuntimeFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw engine.failure("pull failed: " + from, e);
        }
    }

    @Override
    public Saved save(String instanceId, String imageId, String namespace, String name, String tag) {
        String repository = (engine.registry() == null ? "" : engine.registry() + "/") + namespace + "/" + name;
        String ref = repository + ":" + tag;
        try {
            var tmpfs = engine.client().inspectContainerCmd(engine.nameOf(instanceId)).exec().getHostConfig().getTmpFs();
            if (tmpfs == null || !tmpfs.containsKey(dev.atelier.runtime.host.NotebookContainer.RUNTIME_DIR)) {
                // made by an earlier Atelier: its server's runtime files (its token among them) would be committed
                throw new RuntimeFailure("the instance's container is older than this server and would carry its "
                        + "token into the image; stop and start the instance, then save it");
            }
            // a commit pauses the container for a moment; the work volume and the token are mounts, not part of it
            String id = engine.client().commitCmd(engine.nameOf(instanceId)).withRepository(repository).withTag(tag)
                    .withLabels(java.util.Map.of(DockerEngine.INSTALLATION_LABEL, engine.installation(),
                            "dev.atelier.image", imageId))
                    .exec();
            if (engine.registry() != null) {
                push(repository, tag);
            }
            Long size = engine.client().inspectImageCmd(id).exec().getSize();
            log.info("instance {}: saved as image {}", instanceId, ref);
            return new Saved(ref, null, size == null ? 0 : (size + 1023) / 1024);
        } catch (NotFoundException e) {
            throw new RuntimeFailure("the instance has no container to save");
        } catch (RuntimeFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw engine.failure("cannot save the container as " + ref, e);
        }
    }

    private void push(String repository, String tag) {
        try {
            var cmd = engine.client().pushImageCmd(repository).withTag(tag);
            if (engine.auth() != null && engine.auth().getUsername() != null) {
                cmd.withAuthConfig(engine.auth());
            }
            StringBuilder error = new StringBuilder();
            boolean done = cmd.exec(new ResultCallback.Adapter<PushResponseItem>() {
                @Override
                public void onNext(PushResponseItem item) {
                    if (item.getErrorDetail() != null) {
                        error.append(item.getErrorDetail().getMessage());
                    }
                }
            }).awaitCompletion(PULL_MINUTES, TimeUnit.MINUTES);
            if (!done || !error.isEmpty()) {
                throw new RuntimeFailure("push of " + repository + ":" + tag + " failed: "
                        + (done ? error : "it did not finish within " + PULL_MINUTES + " minutes"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("push of " + repository + ":" + tag + " was interrupted");
        }
    }

    @Override
    public void discard(String imageId, String runnable) {
        if (runnable == null || runnable.startsWith("/")) {
            return;
        }
        try {
            // only an image this installation saved: a registered one belongs to whoever put it on the engine
            var image = engine.client().inspectImageCmd(runnable).exec();
            var labels = image.getConfig() == null ? null : image.getConfig().getLabels();
            if (labels != null && imageId.equals(labels.get("dev.atelier.image"))) {
                engine.client().removeImageCmd(runnable).withForce(false).exec();
            }
        } catch (NotFoundException e) {
            // gone already
        } catch (RuntimeException e) {
            log.warn("cannot remove image {} from the engine: {}", runnable, DockerEngine.rootMessage(e));
        }
    }

    /** A reference with its tag: {@code :latest} where it names none. */
    static String withTag(String reference) {
        int slash = reference.lastIndexOf('/');
        return reference.lastIndexOf(':') > slash ? reference : reference + ":latest";
    }

    /** Whether the reference's first part is a registry: it has a dot or a port, or is localhost. */
    static boolean hasRegistry(String reference) {
        int slash = reference.indexOf('/');
        if (slash < 0) {
            return false;
        }
        String first = reference.substring(0, slash);
        return first.contains(".") || first.contains(":") || first.equals("localhost");
    }
}
