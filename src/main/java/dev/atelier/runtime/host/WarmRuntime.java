package dev.atelier.runtime.host;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.port.ChangeHints;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.WarmStarts;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runtime that keeps servers warm ({@link WarmPool}): its launch takes the server a create claimed, where there is
 * one that fits, and launches as the runtime does otherwise. Everything else is the runtime's own. The pool's servers
 * are started, looked at and removed through the runtime itself, under ids no record names yet; each is marked on
 * the host ({@link WarmMarks}) until an instance's launch takes it, so that no replica's sweep of what the engine
 * shows takes it for an orphan, and no replica launches an instance beside the server another replica's pool
 * claimed for it.
 */
public final class WarmRuntime implements InstanceRuntime, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmRuntime.class);

    /** What a runtime must do for its servers to be kept warm. */
    public interface Engine {
        /** Gives a started server the smallest share of the CPU there is ({@code lowest}), or the usual one. */
        void cpuPriority(String id, Map<String, String> state, boolean lowest);

        /** Puts a started server under the flavor's memory, CPU and process limits. */
        void limit(String id, Map<String, String> state, Flavor flavor);

    }

    private final InstanceRuntime runtime;
    private final Engine engine;
    private final WarmMarks marks;
    private volatile WarmPool pool;

    /** {@code marksDir}: where the pool's servers are marked, in the data dir every replica of this host shares. */
    public WarmRuntime(InstanceRuntime runtime, Engine engine, Path marksDir) {
        this.runtime = runtime;
        this.engine = engine;
        this.marks = new WarmMarks(marksDir);
    }

    /**
     * Starts keeping {@code targets} servers per image warm, each waiting under {@code flavor}'s limits at the lowest
     * CPU priority, with a volume of {@code capacityGb}.
     */
    public WarmPool keep(Map<Image, Integer> targets, Flavor flavor, int capacityGb, WarmPool.Settings settings) {
        return this.pool = new WarmPool(new WarmServers() {
            /** Made with the pool: a runtime that keeps none has no client and its thread. */
            private final java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                    .connectTimeout(java.time.Duration.ofSeconds(5)).build();

            @Override
            public Launch start(LaunchSpec spec) {
                marks.mark(spec.instanceId()); // before anything of it is on the host
                Launch launch = runtime.launch(spec, (step, status) -> { });
                engine.cpuPriority(spec.instanceId(), launch.state(), true);
                return launch;
            }

            @Override
            public Health look(String id, String token, Map<String, String> state) {
                return runtime.poll(id, token, state);
            }

            /** Its notebook page, rendered once: the template work moves off the user's first request. */
            @Override
            public void warmUp(String id, String token, Launch launch) {
                try {
                    http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(launch.url()))
                            .header("Authorization", "token " + token).timeout(java.time.Duration.ofSeconds(10))
                            .build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                } catch (java.io.IOException | RuntimeException e) {
                    log.debug("warm server {}: its first page did not load: {}", id, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void discard(String id, Map<String, String> state) {
                runtime.stop(id, state);
                runtime.release(id);
                marks.unmark(id); // only once it is gone: a server whose removal failed stays the pool's
            }

            @Override
            public void abandon(String id, Map<String, String> state) {
                runtime.stop(id, state);
                marks.unmark(id); // once stopped: its files are its instance's to reuse, or an orphan's to remove
            }
        }, targets, flavor, capacityGb, settings, HostRoom::freeMemoryShare).start();
    }

    /** What the pool holds, for the operator; empty when none is kept. */
    public Optional<Map<String, Object>> describe() {
        WarmPool p = pool;
        return p == null ? Optional.empty() : Optional.of(p.describe());
    }

    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        WarmPool p = pool;
        Optional<WarmPool.Server> server = p == null ? Optional.empty() : p.take(spec.instanceId());
        if (server.isEmpty() && heldElsewhere(spec.instanceId())) {
            // a server claimed for it that is not this launch's to take (another replica's, or one being stopped
            // because its claim lapsed): launched once that is over, never beside it
            throw new NotYet("a warm server claimed for this instance is being stopped", java.time.Duration.ofMillis(500));
        }
        // the instance is recorded: what the engine shows of it is its own from now on
        marks.unmark(spec.instanceId());
        if (server.isPresent()) {
            Launch taken = take(spec, server.get(), progress);
            if (taken != null) {
                return taken;
            }
        }
        return runtime.launch(spec, progress);
    }

    /**
     * Whether a server under this id is held by another live replica's pool, or by this one's (waiting, claimed or
     * being stopped): nothing else may start under the id meanwhile. A mark of this process that its pool no longer
     * holds was left by a stop that failed, and holds nothing.
     */
    private boolean heldElsewhere(String id) {
        WarmPool p = pool;
        return switch (marks.holder(id)) {
            case ANOTHER_REPLICA -> true;
            case THIS_PROCESS -> p != null && p.busyWith(id);
            case NOBODY -> false;
        };
    }

    /**
     * Makes a warm server the instance's: the flavor's limits and the usual CPU share. Null when it no longer
     * answers, or no longer fits what the instance is to run (changed while it was stopped): it is stopped, and the
     * instance is launched as usual.
     */
    private Launch take(LaunchSpec spec, WarmPool.Server server, ProgressListener progress) {
        String id = spec.instanceId();
        Map<String, String> state = new java.util.HashMap<>(server.launch().state());
        if (!server.fits(spec) || runtime.poll(id, server.token(), state).phase() != Phase.READY) {
            log.warn("instance {}: its warm server no longer answers or fits; starting one", id);
            runtime.stop(id, state);
            return null;
        }
        try {
            engine.limit(id, state, spec.flavor());
            engine.cpuPriority(id, state, false);
        } catch (RuntimeException e) {
            runtime.stop(id, state);
            throw e instanceof RuntimeFailure f ? f
                    : new RuntimeFailure("cannot set the instance's limits: " + e.getMessage(), e);
        }
        for (int step = 1; step <= 3; step++) {
            progress.step(step, StepStatus.COMPLETED);
        }
        state.put(Instance.SERVER_TOKEN, server.token());
        log.info("instance {}: took a warm server", id);
        return new Launch(state, server.launch().url());
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        return runtime.poll(instanceId, token, state);
    }

    @Override
    public void stop(String instanceId, Map<String, String> state) {
        runtime.stop(instanceId, state);
    }

    /** Servers of a pool, this replica's or another's on this host, are no instance's (yet), and no orphans. */
    @Override
    public java.util.Set<String> instancesOnHost() {
        java.util.Set<String> ids = new java.util.TreeSet<>(runtime.instancesOnHost());
        WarmPool p = pool;
        ids.removeIf(id -> p != null && p.holds(id) || heldElsewhere(id));
        return ids;
    }

    @Override
    public void release(String instanceId) {
        WarmPool p = pool;
        if (p != null) { // claimed by an instance removed before it ran: its server goes first
            p.forget(instanceId).ifPresent(state -> runtime.stop(instanceId, state));
        }
        runtime.release(instanceId);
        marks.unmark(instanceId);
    }

    /**
     * The pool is a capability of its own; every other is the runtime's, with change hints about the pool's own
     * servers (starting ones log a lot) kept from the reconciler, which has no instance of theirs.
     */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        WarmPool p = pool;
        if (type == WarmStarts.class) {
            return Optional.ofNullable(p).map(type::cast);
        }
        if (type == ChangeHints.class) {
            return runtime.capability(ChangeHints.class).map(hints -> type.cast((ChangeHints) listener ->
                    hints.onChange(id -> {
                        WarmPool current = pool;
                        if (current == null || !current.holdsUnclaimed(id)) {
                            listener.accept(id);
                        }
                    })));
        }
        return runtime.capability(type);
    }

    /** Removes the servers no instance claimed; the runtime itself is closed by its owner. */
    @Override
    public void close() {
        WarmPool p = pool;
        if (p != null) {
            p.close();
        }
    }
}
