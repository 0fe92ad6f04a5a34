package dev.atelier.core.service;

import dev.atelier.core.model.Instance;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler's side of the pools: an instance takes its seat before its server is launched, or waits its turn;
 * a seat given back wakes the next in the queue at once.
 */
final class Seating {
    private static final Logger log = LoggerFactory.getLogger(Seating.class);
    /** How often the instance first in a pool's queue tries for its seat, besides being woken. */
    static final Duration HEAD_POLL = Duration.ofMillis(500);
    /** How often an instance further back in a queue looks again (its place, shown to users, is read anyway). */
    static final Duration BACK_POLL = Duration.ofSeconds(5);
    /** How many of a queue are woken when room is given back: the next, and one more that may fit too. */
    private static final int WAKE = 2;

    private final Pools pools;
    private final Catalog catalog;
    private final Consumer<String> lookAt;
    /** Instances with a server whose seat this process has made sure of. */
    private final Set<String> seatKnown = ConcurrentHashMap.newKeySet();

    Seating(Pools pools, Catalog catalog, Consumer<String> lookAt) {
        this.pools = pools;
        this.catalog = catalog;
        this.lookAt = lookAt;
    }

    /**
     * What taking a seat came to: seated (both null), waiting ({@code lookAgain}: when to try again), or impossible
     * ({@code failure}: why).
     */
    record Turn(Duration lookAgain, String failure, Long waitedMs) {
        static final Turn SEATED = new Turn(null, null, null);

        Turn(Duration lookAgain, String failure) {
            this(lookAgain, failure, null);
        }
    }

    /**
     * Takes the instance's seat in its pool, or its place in the pool's queue. The head of a queue tries often, the
     * rest seldom: a seat given back on this replica wakes the next at once, and these tries are the safety net
     * (and the way a seat given back on another replica is noticed). An instance whose flavor is gone is let
     * through: its launch reports that.
     */
    Turn take(Instance inst) {
        var pool = pools.of(inst);
        if (pool.isEmpty()) {
            return new Turn(null, "pool " + inst.poolId() + " no longer exists");
        }
        var flavor = catalog.flavor(inst.flavorId());
        if (flavor.isEmpty()) {
            return Turn.SEATED;
        }
        var admission = pools.admit(inst, pool.get(), flavor.get());
        if (admission.seated()) {
            seatKnown.add(inst.id());
            wake(inst.poolId(), 1); // the next may fit beside it
            return new Turn(null, null, admission.waitedMs());
        }
        return new Turn(admission.rank() == 1 ? HEAD_POLL : BACK_POLL, null);
    }

    /** An instance with a server (one that ran before seats were kept) holds its seat, whatever the room. */
    void keep(Instance inst) {
        if (seatKnown.contains(inst.id())) {
            return;
        }
        var pool = pools.of(inst);
        var flavor = catalog.flavor(inst.flavorId());
        if (pool.isPresent() && flavor.isPresent()) {
            pools.seat(inst, pool.get(), flavor.get());
        }
        seatKnown.add(inst.id());
    }

    /** Where on a cluster the instance's pool puts it. */
    dev.atelier.core.model.Placement placementOf(Instance inst) {
        return pools.of(inst).map(dev.atelier.core.model.Pool::placement)
                .orElse(dev.atelier.core.model.Placement.NONE);
    }

    /** A server became ready {@code tookMs} after its launch: what the queue's estimates count a start as. */
    void started(long tookMs) {
        pools.started(tookMs);
    }

    /** A server was stopped in {@code tookMs}. */
    void stopped(long tookMs) {
        pools.stopped(tookMs);
    }

    /** The instance gave its seat or its place back (it stopped, failed or is gone): the next are looked at. */
    void gaveBack(Instance inst) {
        seatKnown.remove(inst.id());
        wake(inst.poolId(), WAKE);
    }

    private void wake(String poolId, int count) {
        try {
            pools.next(poolId, count).forEach(lookAt);
        } catch (RuntimeException e) { // they try again on their own
            log.warn("cannot read the queue of pool {}: {}", poolId, e.getMessage());
        }
    }
}
