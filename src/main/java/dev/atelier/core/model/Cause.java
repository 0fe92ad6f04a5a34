package dev.atelier.core.model;

/**
 * Who or what makes a change to an instance, as its events will name them; {@code name} is the user's name where a
 * person acted, {@code requestId} the API request they made it with (its {@code X-Request-Id}), else null.
 */
public record Cause(InstanceEvent.Actor actor, String name, String requestId) {
    public static final Cause SYSTEM = new Cause(InstanceEvent.Actor.SYSTEM, null, null);
    public static final Cause HEALTH_CHECK = new Cause(InstanceEvent.Actor.HEALTH_CHECK, null, null);
    public static final Cause LEASE = new Cause(InstanceEvent.Actor.LEASE, null, null);
    public static final Cause IDLE_CULLER = new Cause(InstanceEvent.Actor.IDLE_CULLER, null, null);
    public static final Cause QUOTA = new Cause(InstanceEvent.Actor.QUOTA, null, null);

    /** A person: the instance's owner, or an administrator acting on another user's instance. */
    public static Cause person(String userId, String userName, String ownerId, String requestId) {
        return new Cause(userId.equals(ownerId) ? InstanceEvent.Actor.USER : InstanceEvent.Actor.ADMINISTRATOR,
                userName, requestId);
    }
}
