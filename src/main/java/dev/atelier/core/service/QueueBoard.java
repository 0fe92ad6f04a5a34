package dev.atelier.core.service;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.Pool;
import dev.atelier.core.port.PoolStore.Ticket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The queues of every pool as read at one moment ({@code readAt}), with each waiting instance's place, and each
 * flavor's queue as asked for ({@code flavorQueues}, filled as asked).
 */
public record QueueBoard(long readAt, Map<String, Place> places, Map<String, List<Ticket>> waiting,
                  Map<String, List<QueueEstimate.Seated>> seated, Map<String, Instance> instances,
                  long startAndStop,
                  java.util.concurrent.ConcurrentMap<String, FlavorQueue> flavorQueues) {

    /**
     * A waiting instance's place: {@code rank} (1: next) of {@code waiting} in the pool's queue, since
     * {@code queuedAt}, expected to start at {@code expectedStart} (null: unknown).
     */
    public record Place(String poolId, int rank, int waiting, long queuedAt, Long expectedStart) {

        /** How the place reads to a user: "queued: 3rd of 7 in pool pool-managed, about 4 min". */
        public String message(long now) {
            String where = "queued: " + ordinal(rank) + " of " + waiting + " in pool " + poolId;
            if (expectedStart == null) {
                return where + ", start time unknown (the instances ahead have no auto stop)";
            }
            long seconds = secondsUntil(expectedStart, now);
            return where + ", about " + (seconds < 60 ? seconds + " s" : (seconds + 59) / 60 + " min");
        }

        /** Seconds until the expected start; null when unknown. */
        public Long remainingSeconds(long now) {
            return expectedStart == null ? null : secondsUntil(expectedStart, now);
        }

        static String ordinal(int n) {
            int lastTwo = n % 100;
            String suffix = lastTwo >= 11 && lastTwo <= 13 ? "th"
                    : switch (n % 10) {
                        case 1 -> "st";
                        case 2 -> "nd";
                        case 3 -> "rd";
                        default -> "th";
                    };
            return n + suffix;
        }
    }

    /** How many wait for a flavor in a pool, and in how many seconds a new one would start (null: unknown). */
    public record FlavorQueue(int waiting, Long leftSeconds) {
    }

    /** Whole seconds from {@code now} until {@code at}, rounded up; none once it has passed. */
    static long secondsUntil(long at, long now) {
        return Math.max(0, (at - now + 999) / 1000);
    }

    static QueueBoard of(List<Pool> pools, Map<String, List<QueueEstimate.Seated>> seated,
                         Map<String, List<Ticket>> waiting, Map<String, Instance> instances, long now,
                         long startAndStop) {
        Map<String, Place> places = new HashMap<>();
        for (Pool pool : pools) {
            List<QueueEstimate.Seated> in = seated.getOrDefault(pool.id(), List.of());
            List<Ticket> queue = waiting.getOrDefault(pool.id(), List.of());
            if (queue.isEmpty()) {
                continue;
            }
            Map<String, Long> starts = QueueEstimate.starts(pool.room(), in,
                    estimates(queue, instances, startAndStop), now);
            for (int n = 0; n < queue.size(); n++) {
                Ticket t = queue.get(n);
                places.put(t.instanceId(), new Place(pool.id(), n + 1, queue.size(), t.queuedAt(),
                        starts.get(t.instanceId())));
            }
        }
        return new QueueBoard(now, places, waiting, seated, instances, startAndStop,
                new java.util.concurrent.ConcurrentHashMap<>());
    }

    private static List<QueueEstimate.Waiting> estimates(List<Ticket> queue, Map<String, Instance> instances,
                                                         long startAndStop) {
        List<QueueEstimate.Waiting> out = new ArrayList<>();
        for (Ticket t : queue) {
            out.add(new QueueEstimate.Waiting(t.instanceId(), t.demand(),
                    Pools.holdsFor(instances.get(t.instanceId()), startAndStop)));
        }
        return out;
    }

    /**
     * The flavor's queue in the pool: who waits for it, and when one more would start. Worked out once per board
     * (a list page asks for it once per item).
     */
    FlavorQueue flavorQueue(Pool pool, Flavor flavor, long now) {
        return flavorQueues.computeIfAbsent(pool.id() + "\n" + flavor.id(), k -> {
            List<Ticket> queue = waiting.getOrDefault(pool.id(), List.of());
            int count = (int) queue.stream().filter(t -> t.flavorId().equals(flavor.id())).count();
            List<QueueEstimate.Waiting> withOneMore = new ArrayList<>(estimates(queue, instances, startAndStop));
            withOneMore.add(new QueueEstimate.Waiting("", Demand.of(flavor), null));
            Long start = QueueEstimate.starts(pool.room(), seated.getOrDefault(pool.id(), List.of()), withOneMore,
                    readAt).get("");
            return new FlavorQueue(count, start == null ? null : secondsUntil(start, now));
        });
    }
}
