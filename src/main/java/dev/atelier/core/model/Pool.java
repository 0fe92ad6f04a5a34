package dev.atelier.core.model;

import java.util.List;
import java.util.Set;

/**
 * A resource pool: where instances run and how much of them it holds. {@code MANAGED} pools are open to every
 * project; a {@code DEDICATED} pool only to the projects it names. {@code flavorIds} empty: every flavor of the
 * catalogue. The pool with {@link #DEFAULT_ID} is the public pool that instances created without {@code pool_id}
 * run in.
 */
public record Pool(String id, String name, Type type, List<String> flavorIds, Set<String> projects, Room room,
                   long createAt, Placement placement) {

    public static final String DEFAULT_ID = "pool-managed";

    public enum Type { MANAGED, DEDICATED }

    public Pool {
        flavorIds = List.copyOf(flavorIds);
        projects = Set.copyOf(projects);
        placement = placement == null ? Placement.NONE : placement;
    }

    /** A pool whose instances may run on any node. */
    public Pool(String id, String name, Type type, List<String> flavorIds, Set<String> projects, Room room,
                long createAt) {
        this(id, name, type, flavorIds, projects, room, createAt, Placement.NONE);
    }

    /** Whether instances of the project may run here. */
    public boolean openTo(String projectId) {
        return type == Type.MANAGED || projects.contains(projectId);
    }

    /** Whether the pool offers the flavor (as listed by the operator, and whether it could ever hold it). */
    public boolean offers(Flavor flavor) {
        return flavorIds.isEmpty() || flavorIds.contains(flavor.id());
    }

    /** Whether the pool could hold an instance of the flavor when empty: a flavor that never fits is sold out. */
    public boolean couldHold(Flavor flavor) {
        return room.holds(Demand.of(flavor));
    }
}
