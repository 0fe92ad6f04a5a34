package dev.atelier.core.port;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Room;
import java.util.List;

/**
 * Places in resource pools. An instance that is to run takes a ticket in its pool's queue; the ticket becomes a
 * seat when the instance is admitted, and the seat is what it holds of the pool until it stops. Tickets and seats
 * go in the same transaction as the instance's write to a status that holds nothing ({@code STOPPED}, a failure)
 * and with its record: {@link InstanceStore} gives them up, so a crash can neither keep a seat nor lose one.
 */
public interface PoolStore {

    /**
     * A place in a pool. {@code queuedAt}: when the instance began to wait (its order in the queue);
     * {@code seatedAt}: when it was admitted, or null while it waits.
     */
    record Ticket(String instanceId, String poolId, String ownerId, String flavorId, Demand demand, long queuedAt,
                  Long seatedAt) {

        public boolean seated() {
            return seatedAt != null;
        }
    }

    /**
     * Where an admission left the instance: seated, or waiting at {@code rank} (1: next) of {@code waiting}.
     * {@code waitedMs}: how long it waited in the queue, given by the admission that seated it and by no other.
     */
    record Admission(boolean seated, int rank, int waiting, Long waitedMs) {
        public Admission(boolean seated, int rank, int waiting) {
            this(seated, rank, waiting, null);
        }
    }

    /**
     * Takes the ticket's place in its pool's queue (kept when it has one: its first {@code queuedAt} stays) and
     * seats it if it is first in the queue and fits in {@code room} beside the seats taken. Serialised per pool
     * across replicas, so two instances cannot both take the last room. Queued are only instances that are to run
     * and are being created or started; any other ticket neither waits nor blocks.
     */
    Admission admit(Ticket ticket, Room room, long now);

    /** Seats the instance whatever the room (it runs already: a server found running without a seat). */
    void seat(Ticket ticket, long now);

    /** Every ticket and seat, of every pool. */
    List<Ticket> tickets();

    /** How many of the owner's instances wait in the pool's queue. */
    int waitingOf(String poolId, String ownerId);

    /** The instances waiting in the pool, in queue order, at most {@code limit}. */
    List<String> waiting(String poolId, int limit);
}
