package dev.atelier.support;

import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.StorageAttachment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A runtime that runs nothing: what a server would be is a record in memory that a test can make ready, fail or
 * vanish. For fast tests of the reconciler's table; every real runtime has end-to-end suites of its own.
 */
public final class InMemoryRuntime implements InstanceRuntime, StorageAttachment {
    /** A launched server as this runtime sees it. */
    public static final class Server {
        public volatile Health health = Health.starting();
        public final Set<String> mounts = ConcurrentHashMap.newKeySet();
    }

    public final Map<String, Server> servers = new ConcurrentHashMap<>();
    public final Set<String> released = ConcurrentHashMap.newKeySet();
    public final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    public volatile String launchFailure;
    /** Where launched servers say they answer ({@code <url>/notebook/<id>/tree}); a closed port unless set. */
    public volatile String url = "http://127.0.0.1:1";

    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        calls.add("launch " + spec.instanceId());
        if (launchFailure != null) {
            throw new RuntimeFailure(launchFailure);
        }
        for (int step = 1; step <= 3; step++) {
            progress.step(step, dev.atelier.core.model.StepStatus.COMPLETED);
        }
        servers.put(spec.instanceId(), new Server());
        return new Launch(Map.of("server", spec.instanceId()), url + "/notebook/" + spec.instanceId() + "/tree");
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        Server s = servers.get(instanceId);
        return s == null ? Health.failed("the notebook server exited") : s.health;
    }

    @Override
    public void stop(String instanceId, Map<String, String> state) {
        calls.add("stop " + instanceId);
        servers.remove(instanceId);
    }

    @Override
    public Set<String> instancesOnHost() {
        return Set.copyOf(servers.keySet());
    }

    @Override
    public void release(String instanceId) {
        calls.add("release " + instanceId);
        servers.remove(instanceId);
        released.add(instanceId);
    }

    private final Set<Class<?>> lacking = ConcurrentHashMap.newKeySet();

    /** This runtime as one that lacks a capability, as a runtime of another engine may. */
    public InMemoryRuntime without(Class<?> capability) {
        lacking.add(capability);
        return this;
    }

    @Override
    public <T> java.util.Optional<T> capability(Class<T> type) {
        return lacking.contains(type) ? java.util.Optional.empty() : InstanceRuntime.super.capability(type);
    }

    @Override
    public void attach(String instanceId, String mountPath, String uri) {
        Server s = servers.get(instanceId);
        if (s == null) {
            throw new RuntimeFailure("not running");
        }
        s.mounts.add(mountPath);
    }

    @Override
    public void detach(String instanceId, String mountPath) {
        Server s = servers.get(instanceId);
        if (s != null) {
            s.mounts.remove(mountPath);
        }
    }

    /** Makes the instance's server answer as ready and idle. */
    public void ready(String instanceId) {
        busy(instanceId, false);
    }

    /** Makes the instance's server answer as ready, with a kernel computing or not. */
    public void busy(String instanceId, boolean busy) {
        servers.get(instanceId).health = Health.ready(busy, null);
    }
}
