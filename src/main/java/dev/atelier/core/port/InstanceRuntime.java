package dev.atelier.core.port;

import java.util.List;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.model.Volume;
import java.util.Map;

/**
 * Where instances really run: the lifecycle every runtime has (launch, poll, stop, release, and what it finds of
 * instances on its engine), deliberately small. What only some runtimes can do is an optional capability, asked for
 * with {@link #capability}: {@link StorageAttachment}, {@link InstanceShell}, {@link ChangeHints}. The runtime keeps
 * nothing in memory that matters: everything it needs to find a server again is in the state map it returns, which
 * the core persists with the instance. Every method is idempotent.
 */
public interface InstanceRuntime {

    /**
     * Prepares storage, compute and network and starts the server, reporting steps 1–3 as it goes: a step under
     * way ({@code PROCESSING}) is written at once, a step done with the next step under way or with the launch's
     * result, so report {@code PROCESSING} only for a step that can take a while. Returns without waiting for the
     * server to be ready; {@link #poll} says when it is.
     * @throws RuntimeFailure when a step fails; the message says why
     */
    Launch launch(LaunchSpec spec, ProgressListener progress);

    /** Looks at a launched server; {@code token} is the credential it accepts ({@link dev.atelier.core.model.Instance#serverToken}). */
    Health poll(String instanceId, String token, Map<String, String> state);

    /** Stops the server gracefully (then forcibly), with everything it started. No-op when already gone. */
    void stop(String instanceId, Map<String, String> state);

    /** Ids of every instance this runtime finds traces of on its engine: files, processes, mounts, containers. */
    java.util.Set<String> instancesOnHost();

    /**
     * An optional capability of this runtime ({@link StorageAttachment}, {@link InstanceShell}, {@link ChangeHints}),
     * or empty when it lacks it. By default the runtime object itself, where it implements the capability.
     */
    default <T> java.util.Optional<T> capability(Class<T> type) {
        return type.isInstance(this) ? java.util.Optional.of(type.cast(this)) : java.util.Optional.empty();
    }

    /** Removes the instance's storage and every file of it (never the data of attached storage). */
    void release(String instanceId);

    /**
     * What to launch; {@code projectId}, {@code ownerId} and {@code requestId} (the API request that asked for the
     * instance to run, null when none is known) are for the engine's own bookkeeping: labels, so that an operator
     * looking at the engine's objects can find the instance, its owner and the request in Atelier's logs.
     */
    record LaunchSpec(String instanceId, String token, Image image, Flavor flavor, Volume volume, String projectId,
                      String ownerId, dev.atelier.core.model.Placement placement, String requestId) {
        public LaunchSpec {
            placement = placement == null ? dev.atelier.core.model.Placement.NONE : placement;
        }

        public LaunchSpec(String instanceId, String token, Image image, Flavor flavor, Volume volume) {
            this(instanceId, token, image, flavor, volume, null, null, null, null);
        }
    }

    record Launch(Map<String, String> state, String url) {
    }

    interface ProgressListener {
        void step(int step, StepStatus status);
    }

    /**
     * {@code UNREACHABLE}: the runtime cannot tell, because its engine does not answer (a Docker daemon that is
     * down, a cluster's API server that cannot be reached); the server may well still run.
     */
    enum Phase { STARTING, READY, FAILED, UNREACHABLE }

    /**
     * What a poll found; {@code busy}: whether the server is computing for someone now (a kernel busy), null when
     * the runtime cannot tell (a poll sees a moment: input that started it is counted where it passes, the gateways);
     * {@code notice} something the user should know about a server that still runs (e.g. a process killed for
     * using too much memory), or about one that is starting and waits for something (a node with a free GPU);
     * {@code untilChange}: starting, and nothing will change before the runtime says so through
     * {@link ChangeHints}, so a poll now and then is enough; {@code step}: the step (1–4) a start is at, where the
     * runtime learns it only by polling (0: as the launch reported); {@code url}: where the server answers, where the
     * runtime learns it only once the server runs (null: the launch's).
     */
    record Health(Phase phase, String reason, Boolean busy, String notice, boolean untilChange, int step,
                  String url) {
        public static Health ready(Boolean busy, String notice) {
            return new Health(Phase.READY, null, busy, notice, false, 0, null);
        }

        /** Ready, answering at {@code url}. */
        public static Health readyAt(String url, Boolean busy, String notice) {
            return new Health(Phase.READY, null, busy, notice, false, 0, url);
        }

        public static Health starting() {
            return new Health(Phase.STARTING, null, null, null, false, 0, null);
        }

        /** Starting, at {@code step} (1–4), with what it waits for when that is worth saying. */
        public static Health startingAt(int step, String notice) {
            return new Health(Phase.STARTING, null, null, notice, false, step, null);
        }

        /** Starting, and the runtime will report the next change through {@link ChangeHints}. */
        public static Health startingUntilChange() {
            return new Health(Phase.STARTING, null, null, null, true, 0, null);
        }

        public static Health failed(String reason) {
            return new Health(Phase.FAILED, reason, null, null, false, 0, null);
        }

        /** The engine does not answer; {@code reason} says which and what to do. */
        public static Health unreachable(String reason) {
            return new Health(Phase.UNREACHABLE, reason, null, null, false, 0, null);
        }
    }

    /**
     * A launch that cannot begin yet and did nothing: something else on the engine must end first (a server another
     * replica started under this id, being stopped). The core looks again after {@link #retryAfter}.
     */
    class NotYet extends RuntimeException {
        private final java.time.Duration retryAfter;

        public NotYet(String message, java.time.Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        public java.time.Duration retryAfter() {
            return retryAfter;
        }
    }

    class RuntimeFailure extends RuntimeException {
        public RuntimeFailure(String message) {
            super(message);
        }

        public RuntimeFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
