package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A runtime whose looks are not taken for news while this process has run out of file descriptors (a flood of
 * connections, say). Then every look fails — a process's entry in /proc, a connection to the server's port, its
 * log, the engine's socket — and says nothing about what it looked at: a healthy server would be found "exited"
 * and stopped. A poll that finds a server failed or silent, or that fails itself, at such a moment is
 * {@link Phase#UNREACHABLE} instead (the reconciler concludes nothing and stops nothing), and so is a look at what
 * the host holds, until descriptors are free again.
 */
public final class DescriptorGuard implements InstanceRuntime {
    /** Shown on the instances while it lasts. */
    public static final String REASON = "Atelier has run out of file descriptors (too many connections are open), "
            + "so it cannot look at the instance; it looks again until it can";
    private static final Path DEV_NULL = Path.of("/dev/null");

    private final InstanceRuntime runtime;
    private final java.util.function.BooleanSupplier outOfDescriptors;

    public DescriptorGuard(InstanceRuntime runtime) {
        this(runtime, DescriptorGuard::exhausted);
    }

    /** {@code outOfDescriptors}: asked after a look that found a server failed or silent, or that failed. */
    DescriptorGuard(InstanceRuntime runtime, java.util.function.BooleanSupplier outOfDescriptors) {
        this.runtime = runtime;
        this.outOfDescriptors = outOfDescriptors;
    }

    /** Whether this process can open no more files now. Costs one open and close. */
    public static boolean exhausted() {
        try (FileChannel ignored = FileChannel.open(DEV_NULL)) {
            return false;
        } catch (IOException e) {
            return isExhaustion(e);
        }
    }

    /** Whether {@code e}, or one of its causes, is the kernel's EMFILE or ENFILE. */
    static boolean isExhaustion(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("Too many open files") || m.contains("Too many open files in system"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        return runtime.launch(spec, progress);
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        Health health;
        try {
            health = runtime.poll(instanceId, token, state);
        } catch (RuntimeException e) {
            if (isExhaustion(e) || outOfDescriptors.getAsBoolean()) {
                return Health.unreachable(REASON);
            }
            throw e;
        }
        if ((health.phase() == Phase.FAILED || health.phase() == Phase.STARTING) && outOfDescriptors.getAsBoolean()) {
            return Health.unreachable(REASON);
        }
        return health;
    }

    @Override
    public void stop(String instanceId, Map<String, String> state) {
        runtime.stop(instanceId, state);
    }

    /** Refused while descriptors are out: a list made then could miss what runs, and what runs be taken for gone. */
    @Override
    public Set<String> instancesOnHost() {
        if (outOfDescriptors.getAsBoolean()) {
            throw new RuntimeFailure(REASON);
        }
        Set<String> found = runtime.instancesOnHost();
        if (outOfDescriptors.getAsBoolean()) {
            throw new RuntimeFailure(REASON);
        }
        return found;
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        return runtime.capability(type);
    }

    @Override
    public void release(String instanceId) {
        runtime.release(instanceId);
    }
}
