package dev.atelier.core.port;

import java.util.List;

/** Counts of the whole installation, for operators: instances by status and pool, and each pool's queue. */
public interface Census {

    /** How many instances have a status in a pool ({@code poolId} null: the public pool). */
    record StatusCount(String status, String poolId, long count) {
    }

    /** How many instances wait in a pool's queue, and since when the longest-waiting one waits (epoch ms). */
    record QueueCount(String poolId, long waiting, long oldestSince) {
    }

    List<StatusCount> instances();

    List<QueueCount> queues();
}
