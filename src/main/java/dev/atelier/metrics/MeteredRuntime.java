package dev.atelier.metrics;

import dev.atelier.core.port.InstanceRuntime;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * A runtime whose lifecycle calls are timed and counted, failures apart; its capabilities (storage, shell, image
 * saving, hints) are the runtime's own, unwrapped.
 */
public final class MeteredRuntime implements InstanceRuntime {
    private final InstanceRuntime runtime;
    private final Metrics metrics;

    public MeteredRuntime(InstanceRuntime runtime, Metrics metrics) {
        this.runtime = runtime;
        this.metrics = metrics;
    }

    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        return timed("launch", () -> runtime.launch(spec, progress));
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        return timed("poll", () -> runtime.poll(instanceId, token, state));
    }

    @Override
    public void stop(String instanceId, Map<String, String> state) {
        timed("stop", () -> {
            runtime.stop(instanceId, state);
            return null;
        });
    }

    @Override
    public Set<String> instancesOnHost() {
        return timed("find", runtime::instancesOnHost);
    }

    @Override
    public void release(String instanceId) {
        timed("release", () -> {
            runtime.release(instanceId);
            return null;
        });
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return runtime.capability(type);
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long began = System.nanoTime();
        boolean failed = true;
        try {
            T result = call.get();
            failed = false;
            return result;
        } finally {
            metrics.runtimeCall(operation, System.nanoTime() - began, failed);
        }
    }
}
