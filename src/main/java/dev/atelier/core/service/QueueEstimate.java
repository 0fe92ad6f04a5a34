package dev.atelier.core.service;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Room;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * When each instance waiting in a pool's queue may start, worked out from what will free room: each seated
 * instance's expected end (a lease's deadline, a stop under way), then each waiting one's own run once it starts.
 * First come, first served, as admission is: nobody passes the head of the queue. Where the room that a waiting
 * instance needs is held by instances whose end is not known (no auto stop), its start is unknown, and so is every
 * start behind it: an honest "unknown" rather than a guess.
 */
final class QueueEstimate {

    /** A seated instance: what it holds and when it is expected to give it back (null: not known). */
    record Seated(Demand demand, Long expectedEnd) {
    }

    /** A waiting instance: what it will take and for how long once seated: its start and its run (null: not known). */
    record Waiting(String id, Demand demand, Long holdsFor) {
    }

    private QueueEstimate() {
    }

    /** The expected start of each waiting instance (absent: unknown), {@code waiting} in queue order. */
    static Map<String, Long> starts(Room room, List<Seated> seated, List<Waiting> waiting, long now) {
        Map<String, Long> out = new HashMap<>();
        Demand used = Demand.NONE;
        PriorityQueue<Seated> ends = new PriorityQueue<>((a, b) -> Long.compare(a.expectedEnd(), b.expectedEnd()));
        for (Seated s : seated) {
            used = used.plus(s.demand());
            if (s.expectedEnd() != null) {
                ends.add(s);
            }
        }
        long at = now;
        for (Waiting w : waiting) {
            while (!room.holds(used, w.demand()) && !ends.isEmpty()) {
                Seated next = ends.poll();
                at = Math.max(at, next.expectedEnd());
                used = used.minus(next.demand());
            }
            if (!room.holds(used, w.demand())) {
                return out; // only instances of unknown end hold what it needs: it and all behind it are unknown
            }
            out.put(w.id(), at);
            used = used.plus(w.demand());
            if (w.holdsFor() != null) {
                ends.add(new Seated(w.demand(), at + w.holdsFor()));
            }
        }
        return out;
    }
}
