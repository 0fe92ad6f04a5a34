package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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
 * the host holds, until descriptors are free again. Free for a moment is not enough: at the edge of a flood they run
 * out and come back many times a second, so a failure is believed only {@link #SETTLE} after they were last out.
 */
public final class DescriptorGuard implements InstanceRuntime {
    /** Shown on the instances while it lasts. */
    public static final String REASON = "Atelier has run out of file descriptors (too many connections are open), "
            + "so it cannot look at the instance; it looks again until it can";
    private static final Path DEV_NULL = Path.of("/dev/null");
    /** How long after descriptors were last out a server found failed or silent is still not believed. */
    static final long SETTLE = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    private final InstanceRuntime runtime;
    private final java.util.function.BooleanSupplier outOfDescriptors;
    private final java.util.function.LongSupplier nanoTime;
    private final java.util.concurrent.atomic.AtomicLong lastOut = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean everOut;

    public DescriptorGuard(InstanceRuntime runtime) {
        this(runtime, DescriptorGuard::exhausted, System::nanoTime);
    }

    /** {@code outOfDescriptors}: asked before and after each look. */
    DescriptorGuard(InstanceRuntime runtime, java.util.function.BooleanSupplier outOfDescriptors,
                    java.util.function.LongSupplier nanoTime) {
        this.runtime = runtime;
        this.outOfDescriptors = outOfDescriptors;
        this.nanoTime = nanoTime;
    }

    /**
     * Whether this process can open no more files now: /dev/null, which is there, cannot be opened. Costs one open
     * and close. Not told by the error's words, which the C library gives in the host's language.
     */
    public static boolean exhausted() {
        try (FileChannel ignored = FileChannel.open(DEV_NULL)) {
            return false;
        } catch (IOException e) {
            return isExhaustion(e) || Files.exists(DEV_NULL); // a stat needs no descriptor
        }
    }

    /** Whether descriptors are out now, or were within {@link #SETTLE}; notes it when they are. */
    private boolean outLately() {
        long now = nanoTime.getAsLong();
        if (outOfDescriptors.getAsBoolean()) {
            lastOut.set(now);
            everOut = true;
            return true;
        }
        return everOut && now - lastOut.get() < SETTLE;
    }

    /** Whether {@code e}, or one of its causes, is the kernel's EMFILE or ENFILE. */
    static boolean isExhaustion(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("Too many open files")) { // EMFILE, and ENFILE's "... in system"
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
        boolean outBefore = outLately();
        Health health;
        try {
            health = runtime.poll(instanceId, token, state);
        } catch (RuntimeException e) {
            if (isExhaustion(e) || outBefore | outLately()) {
                return Health.unreachable(REASON);
            }
            throw e;
        }
        if ((health.phase() == Phase.FAILED || health.phase() == Phase.STARTING) && (outBefore | outLately())) {
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
        if (outLately()) {
            throw new RuntimeFailure(REASON);
        }
        Set<String> found = runtime.instancesOnHost();
        if (outLately()) {
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
