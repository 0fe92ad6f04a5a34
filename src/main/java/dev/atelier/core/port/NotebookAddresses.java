package dev.atelier.core.port;

import java.util.Map;

/**
 * A runtime capability: where this server reaches an instance's notebook, where that is not the address the
 * runtime recorded (a cluster's pod, reached through a port-forward of this server's own while it runs outside the
 * cluster). Without it, the recorded address is used.
 */
public interface NotebookAddresses {

    /**
     * The URL (ending in {@code /tree}) at which this server reaches the running instance's notebook;
     * {@code recorded} is the one the runtime recorded.
     * @throws java.io.IOException when it cannot be reached now
     */
    String reach(String instanceId, Map<String, String> state, String recorded) throws java.io.IOException;
}
