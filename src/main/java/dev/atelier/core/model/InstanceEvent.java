package dev.atelier.core.model;

/**
 * One thing that happened to an instance: what ({@link Kind}), when, who or what caused it ({@link Actor}, with a
 * user's name where a person did), the status it left the instance in, and why, in words (the runtime's own where it
 * failed). Events are written in the same transaction as the change they describe, so none is lost or doubled.
 *
 * @param version the instance's version the change produced; with {@code ordinal}, an event's place in its history
 * @param requestId the API request a person made the change with, to find it in the logs and the audit log; else
 *                  null
 */
public record InstanceEvent(String instanceId, long version, int ordinal, long at, Kind kind, Actor actor,
                            String actorName, String requestId, InstanceStatus status, String message) {

    /** What happened. */
    public enum Kind {
        /** The instance was created. */
        CREATED(Level.INFO),
        /** A start was asked for. */
        START_REQUESTED(Level.INFO),
        /** A stop was asked for: by a user, or by its lease or the idle culler. */
        STOP_REQUESTED(Level.INFO),
        /** Deletion was asked for. */
        DELETE_REQUESTED(Level.INFO),
        /** Name, description, flavor, image, storage size or auto-stop changed. */
        UPDATED(Level.INFO),
        /** The auto-stop countdown was restarted. */
        LEASE_RENEWED(Level.INFO),
        /** Saving the instance as an image began. */
        IMAGE_SAVE_STARTED(Level.INFO),
        /** The notebook server is ready. */
        RUNNING(Level.INFO),
        /** The notebook server was stopped. */
        STOPPED(Level.INFO),
        /** Creating, starting or running failed. */
        FAILED(Level.ERROR),
        /** Something to know about a running instance (a process killed for memory, its engine not answering). */
        WARNING(Level.WARNING),
        /** What the last warning said no longer holds. */
        RECOVERED(Level.INFO);

        private final Level level;

        Kind(Level level) {
            this.level = level;
        }

        public Level level() {
            return level;
        }
    }

    public enum Level { INFO, WARNING, ERROR }

    /** Who or what caused an event. */
    public enum Actor {
        /** The instance's owner. */
        USER,
        /** An administrator acting on someone else's instance. */
        ADMINISTRATOR,
        /** The auto-stop lease ran out. */
        LEASE,
        /** The instance was idle for as long as its lease allows. */
        IDLE_CULLER,
        /** A monthly quota on use (vCPU- or GPU-hours) of the project or the owner ran out. */
        QUOTA,
        /** Atelier's own watch over the instance: readiness, health, failures the runtime reported. */
        HEALTH_CHECK,
        /** Atelier itself, carrying out what was asked. */
        SYSTEM
    }
}
