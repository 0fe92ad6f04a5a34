package dev.atelier.runtime.host;

import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's servers on their way out: claimed ones being stopped (a lapsed claim, a create given up), and those
 * whose removal (or, for a claimed one, whose stop) failed, the host out of descriptors say, which are tried again
 * until it works. While here, a server's id is the pool's: nothing else may start under it.
 */
final class WarmRemovals {
    private static final Logger log = LoggerFactory.getLogger(WarmRemovals.class);

    private final WarmServers servers;
    /** Claimed servers being stopped. Guarded by this. */
    private final java.util.Set<String> abandoning = new java.util.HashSet<>();
    /** Servers whose removal failed, by id, to be tried again. Guarded by this. */
    private final Map<String, LeftOver> leftOver = new LinkedHashMap<>();

    /** {@code stopOnly}: a claimed server's, whose files may be its instance's; stopped, not removed. */
    private record LeftOver(Map<String, String> state, boolean stopOnly) {
    }

    WarmRemovals(WarmServers servers) {
        this.servers = servers;
    }

    /** A claimed server is to be stopped: held from now until it is (called under the pool's lock). */
    synchronized void abandoning(String id) {
        abandoning.add(id);
    }

    /** Stops a claimed server marked {@link #abandoning}; kept to try again when that fails. */
    void abandon(String id, Map<String, String> state) {
        try {
            servers.abandon(id, state);
        } catch (RuntimeException e) {
            log.warn("warm pool: cannot stop server {} ({}); trying again", id, e.getMessage());
            synchronized (this) {
                leftOver.put(id, new LeftOver(state, true));
            }
        } finally {
            synchronized (this) {
                abandoning.remove(id);
            }
        }
    }

    /** Removes a server no instance took; kept to try again when that fails. */
    void discard(String id, Map<String, String> state) {
        try {
            servers.discard(id, state);
        } catch (RuntimeException e) {
            log.warn("warm pool: cannot remove server {} ({}); trying again", id, e.getMessage());
            synchronized (this) {
                leftOver.put(id, new LeftOver(state, false));
            }
        }
    }

    /** Tries again to remove the servers whose removal failed; those that fail again stay for the next round. */
    void retry() {
        Map<String, LeftOver> again;
        synchronized (this) {
            again = new LinkedHashMap<>(leftOver);
        }
        again.forEach((id, left) -> {
            try {
                if (left.stopOnly()) {
                    servers.abandon(id, left.state());
                } else {
                    servers.discard(id, left.state());
                }
                synchronized (this) {
                    leftOver.remove(id);
                }
                log.info("warm pool: removed server {}", id);
            } catch (RuntimeException e) {
                log.debug("warm pool: server {} cannot be removed yet: {}", id, e.getMessage());
            }
        });
    }

    /** Whether a server under this id is being stopped or waits to be removed again. */
    synchronized boolean busyWith(String id) {
        return abandoning.contains(id) || leftOver.containsKey(id);
    }

    /** Whether a server under this id waits to be removed again (its traces are on the host). */
    synchronized boolean leftOver(String id) {
        return leftOver.containsKey(id);
    }
}
