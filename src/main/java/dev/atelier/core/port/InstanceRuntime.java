package dev.atelier.core.port;

import java.util.List;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.model.Volume;
import java.util.Map;

/**
 * Where instances really run. Deliberately small: launch, poll, stop, release. The runtime keeps nothing in
 * memory that matters: everything it needs to find a server again is in the state map it returns, which
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

    /** Looks at a launched server; {@code token} is the instance token it was launched with. */
    Health poll(String instanceId, String token, Map<String, String> state);

    /**
     * Lets the runtime say when a starting server may have changed, so that the core need not poll it often:
     * the runtime calls {@code listener} with the instance's id (from any thread; it must return quickly). Only a
     * hint: the core still polls, and a runtime that never calls it is polled as {@link #poll} asks.
     */
    default void onChange(java.util.function.Consumer<String> listener) {
    }

    /** Stops the server gracefully (then forcibly), with everything it started. No-op when already gone. */
    void stop(String instanceId, Map<String, String> state);

    /** Ids of every instance this runtime finds traces of on its host: files, processes, mounts. */
    java.util.Set<String> instancesOnHost();

    /** Removes the instance's storage and every file of it (never the data of attached storage). */
    void release(String instanceId);

    /**
     * Makes the storage at {@code uri} (e.g. {@code obs://bucket/dir/}) appear at {@code mountPath} in the
     * running instance.
     * @throws RuntimeFailure when it cannot; the message says why
     */
    void attach(String instanceId, String mountPath, String uri);

    /** Removes what {@link #attach} made appear; the storage's data stays. */
    void detach(String instanceId, String mountPath);

    record LaunchSpec(String instanceId, String token, Image image, Flavor flavor, Volume volume) {
    }

    record Launch(Map<String, String> state, String url) {
    }

    interface ProgressListener {
        void step(int step, StepStatus status);
    }

    enum Phase { STARTING, READY, FAILED }

    /**
     * The host command that runs {@code command} inside the running instance: in its sandbox, as its user, in
     * its working directory, with its resource limits (SSH shells, commands and SFTP).
     * @throws RuntimeFailure when the instance has no running server to join
     */
    default List<String> enter(String instanceId, List<String> command) {
        throw new RuntimeFailure("this runtime cannot run commands inside instances");
    }

    /** Whether 127.0.0.1:{@code port} is a server of this instance's (SSH port forwarding may reach only those). */
    default boolean servesPort(String instanceId, int port) {
        return false;
    }

    /**
     * Where the instance has a network of its own: the host command that connects to 127.0.0.1:{@code port} in it
     * and relays its standard input and output to that connection, writing one {@code +} first once connected.
     * Null where the instance's ports are the host's own, reached directly.
     */
    default List<String> portRelay(String instanceId, int port) {
        return null;
    }

    /**
     * What a poll found; {@code lastActivity} (epoch ms) is the server's last user activity, when known;
     * {@code notice} something the user should know about a server that still runs (e.g. a process killed for
     * using too much memory); {@code untilChange}: starting, and nothing will change before the runtime says so
     * through {@link #onChange}, so a poll now and then is enough.
     */
    record Health(Phase phase, String reason, Long lastActivity, String notice, boolean untilChange) {
        public static Health ready(Long lastActivity, String notice) {
            return new Health(Phase.READY, null, lastActivity, notice, false);
        }

        public static Health starting() {
            return new Health(Phase.STARTING, null, null, null, false);
        }

        /** Starting, and the runtime will report the next change through {@link #onChange}. */
        public static Health startingUntilChange() {
            return new Health(Phase.STARTING, null, null, null, true);
        }

        public static Health failed(String reason) {
            return new Health(Phase.FAILED, reason, null, null, false);
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
