package dev.atelier.core.service;

import static dev.atelier.core.model.InstanceStatus.CREATE_FAILED;
import static dev.atelier.core.model.InstanceStatus.DELETE_FAILED;
import static dev.atelier.core.model.InstanceStatus.ERROR;
import static dev.atelier.core.model.InstanceStatus.RUNNING;
import static dev.atelier.core.model.InstanceStatus.STARTING;
import static dev.atelier.core.model.InstanceStatus.START_FAILED;
import static dev.atelier.core.model.InstanceStatus.STOPPED;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which user operation is legal in which status (reference §6.2 for v1, §4 for the legacy API's stricter delete),
 * and the failure for the others. One table, consulted by every operation of both APIs, so that no operation
 * silently does nothing; each API spells the failure its own way.
 */
public final class Transitions {

    public enum Operation {
        START(EnumSet.of(STOPPED, START_FAILED, ERROR)),
        STOP(EnumSet.of(RUNNING, STARTING)),
        /** Stopping an instance that waits for its seat (no server launched yet): it leaves its pool's queue. */
        STOP_WAITING(EnumSet.of(InstanceStatus.INIT, InstanceStatus.CREATING, STARTING)),
        DELETE(EnumSet.of(InstanceStatus.INIT, InstanceStatus.CREATING, STARTING, RUNNING,
                InstanceStatus.STOPPING, STOPPED, InstanceStatus.SNAPSHOTTING, CREATE_FAILED, START_FAILED,
                DELETE_FAILED, ERROR)),
        /** Deleting under the legacy API's rule: stop before delete. */
        DELETE_STOPPED(EnumSet.of(InstanceStatus.INIT, InstanceStatus.CREATING, InstanceStatus.STOPPING, STOPPED,
                InstanceStatus.SNAPSHOTTING, CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR)),
        UPDATE_DESCRIPTION(EnumSet.of(RUNNING, STOPPED, CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR)),
        UPDATE_SPEC(EnumSet.of(STOPPED)),
        RESIZE_VOLUME(EnumSet.of(RUNNING, STOPPED)),
        RENEW_LEASE(EnumSet.of(RUNNING)),
        ATTACH_STORAGE(EnumSet.of(RUNNING)),
        CREATE_IMAGE(EnumSet.of(RUNNING));

        private final Set<InstanceStatus> allowed;

        Operation(Set<InstanceStatus> allowed) {
            this.allowed = allowed;
        }

        public boolean allowedIn(InstanceStatus status) {
            return allowed.contains(status);
        }
    }

    private Transitions() {
    }

    /** Throws the documented error when {@code op} is not legal for the instance now. */
    public static void check(Operation op, Instance instance) {
        InstanceStatus s = instance.status();
        if (op.allowedIn(s)) {
            return;
        }
        String verb = switch (op) {
            case DELETE_STOPPED -> "delete";
            case UPDATE_DESCRIPTION -> "update";
            case UPDATE_SPEC -> "change the flavor or image of";
            case RESIZE_VOLUME -> "resize the volume of";
            default -> op.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
        };
        String what = "cannot " + verb + " instance " + instance.id() + " while it is " + s
                + (op == Operation.DELETE_STOPPED && (s == RUNNING || s == STARTING) ? "; stop it first" : "");
        if (s == InstanceStatus.FROZEN) {
            throw new AtelierException(ErrorCode.INSTANCE_FROZEN, what);
        }
        ErrorCode code = switch (op) {
            case UPDATE_SPEC, RESIZE_VOLUME -> ErrorCode.NOT_MODIFIABLE_NOW;
            case RENEW_LEASE, ATTACH_STORAGE, CREATE_IMAGE -> ErrorCode.NOT_RUNNING;
            case START -> s == RUNNING ? ErrorCode.ALREADY_RUNNING
                    : s == InstanceStatus.STOPPING ? ErrorCode.INSTANCE_STOPPING : ErrorCode.ILLEGAL_STATE;
            case STOP, STOP_WAITING -> s == STOPPED ? ErrorCode.ALREADY_STOPPED : ErrorCode.ILLEGAL_STATE;
            case DELETE_STOPPED -> s == RUNNING || s == STARTING ? ErrorCode.MUST_STOP_FIRST : ErrorCode.ILLEGAL_STATE;
            default -> s == STARTING ? ErrorCode.INSTANCE_STARTING : ErrorCode.ILLEGAL_STATE;
        };
        throw new AtelierException(code, what);
    }
}
