package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.core.port.InstanceRuntime.Launch;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import java.util.Map;

/** What a runtime does for a {@link WarmPool}: start, look at, warm up and stop its servers. */
public interface WarmServers {
    /** Starts a server for {@code spec} as for an instance, at the lowest CPU priority the runtime has. */
    Launch start(LaunchSpec spec);

    /** Looks at a started server, as a poll does. */
    Health look(String id, String token, Map<String, String> state);

    /** Has a ready server do once what its first user's first request would make it do (its first page). */
    default void warmUp(String id, String token, Launch launch) {
    }

    /** Stops the server and removes everything it had: no instance has its id. */
    void discard(String id, Map<String, String> state);

    /**
     * Stops the server and keeps its files: an instance may have its id (a claim that lapsed, a create whose
     * outcome is unknown), whose launch reuses them; where none has, they are an orphan's, removed as one.
     */
    void abandon(String id, Map<String, String> state);
}
