package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Demand;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Pool;
import dev.atelier.core.port.InstanceReads;
import dev.atelier.core.port.PoolStore;
import dev.atelier.core.port.PoolStore.Ticket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The resource pools, and each instance's place in one: which pool a create may name, whether an instance may take
 * its seat now or waits (first come, first served, with at most {@link #queueLimitPerUser} waiting instances per
 * user and pool), and where each waiting instance stands in its queue with an estimate of its start.
 */
public final class Pools {
    /** How long a stop is expected to take before any was seen. */
    static final long STOP_FALLBACK_MS = 10_000;
    /** How long a board of the queues is shown before it is read again (changes of this replica read it at once). */
    private static final long BOARD_TTL_MS = 500;
    private static final int RECENT = 16;

    private final List<Pool> pools;
    private final PoolStore store;
    private final InstanceReads reads;
    private final Clock clock;
    private final int queueLimitPerUser;
    private volatile QueueBoard board;
    /** How long the last starts (launch to ready) and stops took on this replica: what the next are expected to. */
    private final RecentDurations starts = new RecentDurations(RECENT, 0);
    private final RecentDurations stops = new RecentDurations(RECENT, STOP_FALLBACK_MS);

    public Pools(List<Pool> pools, PoolStore store, InstanceReads reads, Clock clock, int queueLimitPerUser) {
        if (pools.stream().noneMatch(p -> p.id().equals(Pool.DEFAULT_ID))) {
            throw new IllegalArgumentException("the pools must include the public pool " + Pool.DEFAULT_ID);
        }
        this.pools = List.copyOf(pools);
        this.store = store;
        this.reads = reads;
        this.clock = clock;
        this.queueLimitPerUser = queueLimitPerUser;
    }

    public List<Pool> all() {
        return pools;
    }

    public Pool publicPool() {
        return find(Pool.DEFAULT_ID).orElseThrow();
    }

    public Optional<Pool> find(String id) {
        return pools.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    /** The pool an instance runs in; empty when the operator has since removed it. */
    public Optional<Pool> of(Instance instance) {
        return find(instance.poolId() == null ? Pool.DEFAULT_ID : instance.poolId());
    }

    /**
     * The pool a create names (null: the public one), checked: it exists for the project, offers the flavor and
     * could ever hold it. Returns the id an instance records: null for the public pool.
     */
    public String forCreate(String projectId, String poolId, Flavor flavor) {
        Pool pool = poolId == null ? publicPool() : find(poolId).filter(p -> p.openTo(projectId))
                .orElseThrow(() -> new AtelierException(ErrorCode.INVALID_VALUE, "pool_id: pool " + poolId
                        + " does not exist"));
        if (!pool.offers(flavor)) {
            throw new AtelierException(ErrorCode.FLAVOR_NOT_SUPPORTED, "flavor " + flavor.id()
                    + " is not offered by pool " + pool.id());
        }
        if (!pool.couldHold(flavor)) {
            throw new AtelierException(ErrorCode.FLAVOR_SOLD_OUT, "flavor " + flavor.id() + " is sold out: it needs "
                    + "more than pool " + pool.id() + " holds (" + pool.room().describe() + ")");
        }
        return pool.id().equals(Pool.DEFAULT_ID) ? null : pool.id();
    }

    /** Whether the flavor can be had in a pool (null: the public one): offered there, and it could ever fit. */
    public boolean sells(String poolId, Flavor flavor) {
        Pool pool = poolId == null ? publicPool() : find(poolId).orElse(null);
        return pool != null && pool.offers(flavor) && pool.couldHold(flavor);
    }

    /** The flavor as a pool (null: the public one) lists it: sold out where it lacks the devices or the room. */
    public Flavor asSoldIn(String poolId, Flavor flavor) {
        return flavor.soldOut() || sells(poolId, flavor) ? flavor : flavor.withSoldOut(true);
    }

    /**
     * Refuses a create or start by a user who already has as many instances waiting in the pool as a user may:
     * one user cannot fill a queue that others share.
     */
    public void checkQueueRoom(String ownerId, String poolId) {
        String pool = poolId == null ? Pool.DEFAULT_ID : poolId;
        long waiting = store.waitingOf(pool, ownerId);
        if (waiting >= queueLimitPerUser) {
            throw new AtelierException(ErrorCode.QUOTA_EXCEEDED, "you have " + waiting + " instances waiting in "
                    + "the queue of pool " + pool + ", as many as a user may; wait for one to start, or stop or "
                    + "delete one");
        }
    }

    /** Takes the instance's place in its pool's queue and its seat if its turn has come and it fits. */
    public PoolStore.Admission admit(Instance instance, Pool pool, Flavor flavor) {
        PoolStore.Admission admission = store.admit(ticket(instance, pool, flavor), pool.room(), clock.millis());
        board = null;
        return admission;
    }

    /** Seats an instance found running without a seat (one that ran before pools were kept). */
    public void seat(Instance instance, Pool pool, Flavor flavor) {
        store.seat(ticket(instance, pool, flavor), clock.millis());
        board = null;
    }

    private static Ticket ticket(Instance instance, Pool pool, Flavor flavor) {
        // a create or start is written by the API; the reconciler comes to it within milliseconds, and the time
        // of that write (its last) is its place in the queue
        return new Ticket(instance.id(), pool.id(), instance.ownerId(), flavor.id(), Demand.of(flavor),
                instance.updateAt(), null);
    }

    /** Room was given back in the pool: the instances next in its queue, to be looked at now. */
    public List<String> next(String poolId, int count) {
        board = null;
        return store.waiting(poolId == null ? Pool.DEFAULT_ID : poolId, count);
    }

    /** A server became ready {@code tookMs} after its launch (on this replica). */
    public void started(long tookMs) {
        starts.record(tookMs);
    }

    /** A server was stopped in {@code tookMs} (on this replica). */
    public void stopped(long tookMs) {
        stops.record(tookMs);
    }

    /**
     * Where a waiting instance stands in its queue; empty when it does not wait. Only an instance that is to run and
     * has no server yet can wait: for the others the queues are not read at all.
     */
    public Optional<QueueBoard.Place> place(Instance instance) {
        if (!waits(instance) || !instance.runtimeState().isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(board().places().get(instance.id()));
    }

    /** How many wait for the flavor in the pool, and how long a new one would wait (null: unknown). */
    public QueueBoard.FlavorQueue queueOf(String poolId, Flavor flavor) {
        return find(poolId).map(p -> board().flavorQueue(p, flavor, clock.millis()))
                .orElse(new QueueBoard.FlavorQueue(0, null));
    }

    private QueueBoard board() {
        QueueBoard b = board;
        long now = clock.millis();
        if (b == null || now - b.readAt() > BOARD_TTL_MS || now < b.readAt()) {
            b = read(now);
            board = b;
        }
        return b;
    }

    private QueueBoard read(long now) {
        Map<String, List<QueueEstimate.Seated>> seated = new LinkedHashMap<>();
        Map<String, List<Ticket>> waiting = new LinkedHashMap<>();
        Map<String, Instance> instances = new LinkedHashMap<>();
        long start = starts.median();
        long stop = stops.median();
        for (Ticket t : store.tickets()) {
            Optional<Instance> found = reads.instance(t.instanceId());
            if (found.isEmpty()) {
                continue;
            }
            Instance i = found.get();
            instances.put(i.id(), i);
            if (t.seated()) {
                seated.computeIfAbsent(t.poolId(), k -> new ArrayList<>())
                        .add(new QueueEstimate.Seated(t.demand(), expectedEnd(i, now, start, stop)));
            } else if (waits(i)) {
                waiting.computeIfAbsent(t.poolId(), k -> new ArrayList<>()).add(t);
            }
        }
        waiting.values().forEach(q -> q.sort(Comparator.comparingLong(Ticket::queuedAt)
                .thenComparing(Ticket::instanceId)));
        return QueueBoard.of(pools, seated, waiting, instances, now, start + stop);
    }

    /**
     * What a pool holds now: the room its seated instances take ({@code used}), how many of each flavor are seated,
     * and how many wait.
     */
    public record Usage(Pool pool, Demand used, Map<String, Integer> seatedByFlavor, int waiting) {
    }

    /** Every pool's usage, from the seats and queues of every replica (one read). */
    public List<Usage> usage() {
        Map<String, Demand> used = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> flavors = new LinkedHashMap<>();
        Map<String, Integer> waiting = new LinkedHashMap<>();
        for (Ticket t : store.tickets()) {
            if (t.seated()) {
                used.merge(t.poolId(), t.demand(), Demand::plus);
                flavors.computeIfAbsent(t.poolId(), k -> new java.util.TreeMap<>()).merge(t.flavorId(), 1,
                        Integer::sum);
            } else {
                waiting.merge(t.poolId(), 1, Integer::sum);
            }
        }
        return pools.stream().map(p -> new Usage(p, used.getOrDefault(p.id(), Demand.NONE),
                flavors.getOrDefault(p.id(), Map.of()), waiting.getOrDefault(p.id(), 0))).toList();
    }

    static boolean waits(Instance i) {
        return i.desired() == DesiredState.RUNNING && (i.status() == InstanceStatus.INIT
                || i.status() == InstanceStatus.CREATING || i.status() == InstanceStatus.STARTING);
    }

    /**
     * When a seated instance is expected to give its room back: stopped at its auto stop (one still starting: once
     * started and run for its lease), or once stopped when it stops now.
     */
    private static Long expectedEnd(Instance i, long now, long start, long stop) {
        if (i.desired() != DesiredState.RUNNING || i.status() == InstanceStatus.STOPPING) {
            return now + stop;
        }
        if (!i.lease().enabled()) {
            return null;
        }
        return i.status() == InstanceStatus.RUNNING ? Math.max(now, i.lease().deadline()) + stop
                : now + start + i.lease().requestedMs() + stop;
    }

    /**
     * How long an instance holds its seat, as far as known: its start, its auto stop's duration and its stop
     * ({@code startAndStop}).
     */
    static Long holdsFor(Instance i, long startAndStop) {
        return i.lease().enabled() ? startAndStop + i.lease().requestedMs() : null;
    }
}
