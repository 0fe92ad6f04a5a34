package dev.atelier.core.port;

/**
 * What the lifecycle tells whoever measures it (metrics, in the server). Every method has a default that does
 * nothing, so that tests and tools need no measuring.
 */
public interface Telemetry {
    Telemetry NONE = new Telemetry() {
    };

    /** What a lifecycle duration measured. */
    enum Operation { CREATE, START, STOP }

    /**
     * An instance of flavor {@code flavorId} took {@code millis}: for CREATE and START from the request to RUNNING
     * (a wait in its pool's queue included), for STOP the runtime's stop.
     */
    default void lifecycle(Operation operation, String flavorId, long millis) {
    }

    /** An instance waited {@code millis} in the queue of pool {@code poolId} before it was given its seat. */
    default void queueWait(String poolId, long millis) {
    }

    /** A reconciler pass took {@code nanos}; {@code failed}: it ended in an exception and will be retried. */
    default void reconcilePass(long nanos, boolean failed) {
    }
}
