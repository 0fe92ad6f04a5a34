package dev.atelier.runtime.host;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.StepStatus;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.WarmStarts;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runtime that keeps servers warm ({@link WarmPool}): its launch takes the server a create claimed, where there is
 * one, and launches as the runtime does otherwise. Everything else is the runtime's own. The pool's servers are
 * started, looked at and removed through the runtime itself, under ids no record names yet: they are left out of
 * what the runtime finds on its engine, so that nothing takes them for orphans.
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
    private volatile WarmPool pool;

    public WarmRuntime(InstanceRuntime runtime, Engine engine) {
        this.runtime = runtime;
        this.engine = engine;
    }

    /**
     * Starts keeping {@code targets} servers per image warm, each waiting under {@code flavor}'s limits at the lowest
     * CPU priority, with a volume of {@code capacityGb}.
     */
    public WarmPool keep(Map<Image, Integer> targets, Flavor flavor, int capacityGb, WarmPool.Settings settings) {
        return this.pool = new WarmPool(new WarmPool.Servers() {
            @Override
            public Launch start(LaunchSpec spec) {
                Launch launch = runtime.launch(spec, (step, status) -> { });
                engine.cpuPriority(spec.instanceId(), launch.state(), true);
                return launch;
            }

            @Override
            public Health look(String id, String token, Map<String, String> state) {
                return runtime.poll(id, token, state);
            }

            @Override
            public void discard(String id, Map<String, String> state) {
                runtime.stop(id, state);
                runtime.release(id);
            }
        }, targets, flavor, capacityGb, settings, WarmPool::hostFreeMemory).start();
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
        if (server.isPresent()) {
            Launch taken = take(spec, server.get(), progress);
            if (taken != null) {
                return taken;
            }
        }
        return runtime.launch(spec, progress);
    }

    /**
     * Makes a warm server the instance's: the flavor's limits and the usual CPU share. Null when it no longer
     * answers: what it left is stopped, and the instance is launched as usual.
     */
    private Launch take(LaunchSpec spec, WarmPool.Server server, ProgressListener progress) {
        String id = spec.instanceId();
        Map<String, String> state = new java.util.HashMap<>(server.launch().state());
        if (runtime.poll(id, server.token(), state).phase() != Phase.READY) {
            log.warn("instance {}: its warm server stopped answering; starting one", id);
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

    /** The pool's servers are no instance's (yet), and no orphans either. */
    @Override
    public java.util.Set<String> instancesOnHost() {
        java.util.Set<String> ids = new java.util.TreeSet<>(runtime.instancesOnHost());
        WarmPool p = pool;
        if (p != null) {
            ids.removeIf(p::holds);
        }
        return ids;
    }

    @Override
    public void release(String instanceId) {
        WarmPool p = pool;
        if (p != null) { // claimed by an instance removed before it ran: its server goes first
            p.forget(instanceId).ifPresent(state -> runtime.stop(instanceId, state));
        }
        runtime.release(instanceId);
    }

    /** The pool is a capability of its own; every other is the runtime's. */
    @Override
    public <T> Optional<T> capability(Class<T> type) {
        WarmPool p = pool;
        return type == WarmStarts.class ? Optional.ofNullable(p).map(type::cast) : runtime.capability(type);
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
