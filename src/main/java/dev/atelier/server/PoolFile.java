package dev.atelier.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Placement;
import dev.atelier.core.model.Pool;
import dev.atelier.core.model.Room;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The operator's resource pools: {@code <data-dir>/pools.json}. Without it, or where it does not list the public
 * pool ({@value Pool#DEFAULT_ID}), the public pool is what the runtime holds (the host, measured, or the cluster's
 * nodes). A limit left out of a {@code room} is no limit.
 */
final class PoolFile {
    static final String FILE = "pools.json";
    /** How many instances one user may have waiting in one pool's queue, unless the file says otherwise. */
    static final int DEFAULT_QUEUE_LIMIT_PER_USER = 3;
    /** When the pools of this file count as created: pools have no history of their own. */
    private static final long CREATED = 1_700_000_000_000L;

    record RoomEntry(Integer instances, Long vcpus, Long memoryMib, Long accelerators) {
    }

    record Entry(String id, String name, String type, List<String> flavors, List<String> projects, RoomEntry room,
                 java.util.Map<String, String> nodeSelector, List<Placement.Toleration> tolerations) {
    }

    record Contents(Integer queueLimitPerUser, List<Entry> pools) {
    }

    /**
     * The pools as the file sets them, and how many instances one user may have waiting in each. A pool's room is
     * null where it is the runtime's to measure: known once the runtime is open, after the file was checked.
     */
    record Loaded(List<Pool> pools, int queueLimitPerUser) {

        /**
         * The pools, each that the file does not say the room of holding what the runtime measures of it; refused
         * where the runtime cannot (a dedicated pool on one host).
         */
        List<Pool> withRuntimeRoom(java.util.function.Function<Pool, Room> runtimeRoom) {
            return pools.stream().map(p -> {
                if (p.room() != null) {
                    return p;
                }
                Room measured = runtimeRoom.apply(p);
                if (measured == null) {
                    throw new IllegalArgumentException(FILE + ": pool " + p.id() + " needs a room (what it holds): "
                            + "only the Kubernetes runtime reads a dedicated pool's from its nodes");
                }
                return new Pool(p.id(), p.name(), p.type(), p.flavorIds(), p.projects(), measured, p.createAt(),
                        p.placement());
            }).toList();
        }
    }

    private PoolFile() {
    }

    static Loaded load(Path dataDir, List<Flavor> flavors) {
        Path file = dataDir.resolve(FILE);
        Contents contents = Files.exists(file) ? read(file) : new Contents(null, List.of());
        List<Pool> pools = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> flavorIds = new HashSet<>(flavors.stream().map(Flavor::id).toList());
        List<Entry> entries = contents.pools() == null ? List.of() : contents.pools();
        for (int n = 0; n < entries.size(); n++) {
            pools.add(pool(file + " pool " + n + ": ", entries.get(n), ids, flavorIds));
        }
        if (!ids.contains(Pool.DEFAULT_ID)) {
            pools.add(0, new Pool(Pool.DEFAULT_ID, "Public pool", Pool.Type.MANAGED, List.of(), Set.of(),
                    null, CREATED));
        }
        int limit = contents.queueLimitPerUser() == null ? DEFAULT_QUEUE_LIMIT_PER_USER : contents.queueLimitPerUser();
        if (limit < 1) {
            throw new IllegalArgumentException(file + ": queue_limit_per_user must be at least 1");
        }
        return new Loaded(pools, limit);
    }

    private static Pool pool(String where, Entry e, Set<String> ids, Set<String> flavorIds) {
        if (e == null || e.id() == null || !e.id().matches("[a-z][a-z0-9-]{3,63}") || !ids.add(e.id())) {
            throw new IllegalArgumentException(where + "needs a unique id of 4 to 64 lower-case letters, digits and "
                    + "'-', starting with a letter");
        }
        Pool.Type type;
        try {
            type = e.type() == null ? Pool.Type.MANAGED : Pool.Type.valueOf(e.type().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException(where + "type must be MANAGED or DEDICATED");
        }
        boolean isPublic = e.id().equals(Pool.DEFAULT_ID);
        if (isPublic && type != Pool.Type.MANAGED) {
            throw new IllegalArgumentException(where + "the public pool " + Pool.DEFAULT_ID + " is MANAGED");
        }
        if (type == Pool.Type.DEDICATED && (e.projects() == null || e.projects().isEmpty())) {
            throw new IllegalArgumentException(where + "a DEDICATED pool names the projects it is for");
        }
        List<String> flavors = e.flavors() == null ? List.of() : e.flavors();
        for (String f : flavors) {
            if (!flavorIds.contains(f)) {
                throw new IllegalArgumentException(where + "flavor " + f + " is not in the catalogue");
            }
        }
        if (e.room() == null && !isPublic && (e.nodeSelector() == null || e.nodeSelector().isEmpty())) {
            throw new IllegalArgumentException(where + "needs a room (what it holds), or on the Kubernetes runtime a "
                    + "node_selector to read it from the nodes");
        }
        Room room = e.room() == null ? null : room(where, e.room());
        return new Pool(e.id(), e.name() == null ? e.id() : e.name(), type, flavors,
                e.projects() == null ? Set.of() : Set.copyOf(e.projects()), room, CREATED, placement(where, e));
    }

    /** Where on a cluster the pool's instances run: node labels they need, taints they tolerate. */
    private static Placement placement(String where, Entry e) {
        java.util.Map<String, String> selector = e.nodeSelector() == null ? java.util.Map.of() : e.nodeSelector();
        selector.forEach((k, v) -> {
            if (k == null || k.isBlank() || v == null) {
                throw new IllegalArgumentException(where + "node_selector needs label names and values");
            }
        });
        List<Placement.Toleration> tolerations = e.tolerations() == null ? List.of() : e.tolerations();
        for (Placement.Toleration t : tolerations) {
            String op = t.operator() == null ? "Equal" : t.operator();
            if (!op.equals("Equal") && !op.equals("Exists") || op.equals("Equal") && (t.key() == null
                    || t.value() == null) || t.effect() != null && !List.of("NoSchedule", "PreferNoSchedule",
                    "NoExecute").contains(t.effect())) {
                throw new IllegalArgumentException(where + "a toleration is {key, operator: Equal, value, effect} "
                        + "or {key, operator: Exists, effect}, effect NoSchedule, PreferNoSchedule or NoExecute");
            }
        }
        return new Placement(selector, tolerations.stream().map(t -> new Placement.Toleration(t.key(),
                t.operator() == null ? "Equal" : t.operator(), t.value(), t.effect())).toList());
    }

    private static Room room(String where, RoomEntry r) {
        for (Long v : new Long[] {r.instances() == null ? null : r.instances().longValue(), r.vcpus(), r.memoryMib(),
                r.accelerators()}) {
            if (v != null && v < 0) {
                throw new IllegalArgumentException(where + "room limits cannot be negative");
            }
        }
        return new Room(r.instances() == null ? -1 : r.instances(), r.vcpus() == null ? -1 : r.vcpus(),
                r.memoryMib() == null ? -1 : r.memoryMib(), r.accelerators() == null ? -1 : r.accelerators());
    }

    private static Contents read(Path file) {
        ObjectMapper json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try {
            return json.readValue(file.toFile(), Contents.class);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage() + " at " + e.getPathReference());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }
}
