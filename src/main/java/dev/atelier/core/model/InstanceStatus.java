package dev.atelier.core.model;

import java.util.EnumSet;
import java.util.Set;

/** The v1 notebook statuses, spelled exactly as the ModelArts API spells them. */
public enum InstanceStatus {
    INIT, CREATING, STARTING, STOPPING, DELETING, SNAPSHOTTING,
    RUNNING, STOPPED,
    CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR,
    DELETED, FROZEN;

    private static final Set<InstanceStatus> TRANSITIONAL =
            EnumSet.of(INIT, CREATING, STARTING, STOPPING, DELETING, SNAPSHOTTING);
    private static final Set<InstanceStatus> FAILED =
            EnumSet.of(CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR);

    private static final Set<InstanceStatus> HOLDS_ROOM =
            EnumSet.of(INIT, CREATING, STARTING, STOPPING, DELETING, SNAPSHOTTING, RUNNING);

    /**
     * Whether an instance in this status keeps its place in its pool (a server, or one wanted, may be there); a
     * write to any other status gives it back.
     */
    public boolean holdsRoom() {
        return HOLDS_ROOM.contains(this);
    }

    /**
     * Whether the instance's server runs for its user in this status, so that the time counts toward monthly use
     * (quotas on vCPU- and GPU-hours): running, and saving an image of what runs.
     */
    public boolean isMetered() {
        return this == RUNNING || this == SNAPSHOTTING;
    }

    public boolean isTransitional() {
        return TRANSITIONAL.contains(this);
    }

    public boolean isFailed() {
        return FAILED.contains(this);
    }

    /** Parses a status the way clients send it: case-insensitively. Returns null when unknown. */
    public static InstanceStatus parse(String value) {
        for (InstanceStatus s : values()) {
            if (s.name().equalsIgnoreCase(value)) {
                return s;
            }
        }
        return null;
    }
}
