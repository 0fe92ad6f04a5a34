package dev.atelier.runtime.local;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The notebook servers' processes on this host: which live process is an instance's server (checked once by its
 * command line, then known by pid and start time), what runs from an instance's home, and stopping a server with
 * everything it started.
 */
final class ServerProcesses {
    private static final Logger log = LoggerFactory.getLogger(ServerProcesses.class);

    private final Duration stopGrace;
    /**
     * Servers known to be the instance's own (spawned here, or found by command line), by instance: then only pid and
     * start time count.
     */
    private final Map<String, ProcessHandle> verified = new java.util.concurrent.ConcurrentHashMap<>();

    ServerProcesses(Duration stopGrace) {
        this.stopGrace = stopGrace;
    }

    /** The instance's server, ours by construction (just spawned). */
    void remember(String instanceId, ProcessHandle server) {
        verified.put(instanceId, server);
    }

    void forget(String instanceId) {
        verified.remove(instanceId);
    }

    /**
     * The processes run for an instance: those whose command line names its home (its unsandboxed server, or the
     * sandbox that holds its server), outermost first.
     */
    static List<ProcessHandle> under(Path instanceHome) {
        String home = instanceHome.toString();
        return ProcessHandle.allProcesses().filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> {
                    String line = Proc.commandLine(p.pid());
                    int at = line.indexOf(home);
                    // the home itself or a path below it, not another instance's whose id starts alike
                    return at >= 0 && (line.length() == at + home.length() || " /".indexOf(line.charAt(at + home.length())) >= 0);
                })
                .sorted(java.util.Comparator.comparingLong(ProcessHandle::pid)).toList();
    }

    /** Stops the server gracefully (SIGTERM to jupyter-server itself), then kills what is left of its family. */
    void terminate(String instanceId, ProcessHandle p) {
        List<ProcessHandle> family = new ArrayList<>(p.descendants().toList());
        // SIGTERM to the notebook server itself (inside a sandbox, not to bubblewrap, which would just kill it):
        // jupyter-server shuts its kernels down and exits, and its sandbox ends with it
        String marker = "/notebook/" + instanceId + "/";
        ProcessHandle server = java.util.stream.Stream.concat(java.util.stream.Stream.of(p), family.stream())
                .filter(h -> !List.of("bwrap", "sh", "setpriv", "setsid").contains(Proc.comm(h.pid())))
                .filter(h -> Proc.commandLine(h.pid()).contains(marker))
                .findFirst().orElse(p);
        server.destroy();
        try {
            p.onExit().get(stopGrace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("instance {}: pid {} did not exit within {} s; killing it", instanceId, p.pid(),
                    stopGrace.toSeconds());
            p.destroyForcibly();
        }
        family.addAll(p.descendants().toList());
        family.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        log.info("instance {}: stopped pid {}", instanceId, p.pid());
    }

    /** The live process {@code pid} (as recorded), if it is still the instance's server (pids get reused). */
    Optional<ProcessHandle> ours(String instanceId, String pid) {
        if (pid == null) {
            return Optional.empty();
        }
        long number = Long.parseLong(pid);
        // found before: the same pid with the same start time is the same process (a reused pid has another)
        ProcessHandle known = verified.get(instanceId);
        if (known != null && known.pid() == number) {
            if (known.isAlive()) {
                return Optional.of(known);
            }
            verified.remove(instanceId, known);
            return Optional.empty();
        }
        Optional<ProcessHandle> found = ProcessHandle.of(number)
                .filter(p -> runs(p.pid(), "/notebook/" + instanceId + "/"));
        found.ifPresent(p -> verified.put(instanceId, p));
        return found;
    }

    /**
     * Whether the process's command line contains {@code marker}. A sandboxed server is started through two
     * exec()s (shell, setpriv, bubblewrap), and while a process is in the middle of one its command line reads
     * empty: read it again for a few milliseconds before taking empty for an answer.
     */
    private static boolean runs(long pid, String marker) {
        for (int attempt = 0; ; attempt++) {
            String line = Proc.commandLine(pid);
            if (!line.isEmpty() || attempt == 4) {
                return line.contains(marker);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /**
     * A process below {@code sandbox} in a network namespace of its own (the sandbox's), waited for: the first that is
     * no longer bubblewrap, which has finished setting up the namespace's loopback by then (a link attached while it
     * still does can make that fail).
     */
    static long insideNetwork(ProcessHandle sandbox) {
        String ours = Proc.namespace(ProcessHandle.current().pid(), "net");
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            // down the sandbox's chain of processes, from each to its children as the kernel lists them: far
            // cheaper than a look at every process of the host, which ten starts at once would do hundreds of times
            List<Long> chain = new ArrayList<>(List.of(sandbox.pid()));
            for (int i = 0; i < chain.size() && i < 16; i++) {
                long pid = chain.get(i);
                String ns = Proc.namespace(pid, "net");
                String name = Proc.comm(pid);
                if (ns != null && !ns.equals(ours) && !name.equals("bwrap") && !name.isEmpty()) {
                    return pid;
                }
                chain.addAll(Proc.children(pid));
            }
            if (!sandbox.isAlive()) {
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new RuntimeFailure("the sandbox did not come up with a network of its own");
    }
}
