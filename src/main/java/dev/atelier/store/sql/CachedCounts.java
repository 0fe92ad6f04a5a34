package dev.atelier.store.sql;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * List totals kept in memory until the next change to any instance, under the rules of {@link FeedKept}: a list's
 * {@code total} counts every match (100,000 index entries for a whole project of that size, most of a list's
 * cost), while dashboards ask for the same page again and again between changes. This server's own writes are
 * heard before they return, another replica's within one read interval of the feed; while the feed is not current
 * every count goes to the store.
 */
final class CachedCounts {
    /** A bound on memory: when full, emptied. */
    static final int MAX_ENTRIES = 10_000;
    /** Queries with longer parameters (a long name filter) are counted every time: a key must stay small. */
    static final int MAX_KEY_CHARS = 512;

    private final FeedKept<List<Object>, Long> counts;

    CachedCounts(InstanceChanges feed) {
        this.counts = FeedKept.untilAnyChange(feed, MAX_ENTRIES);
    }

    /**
     * The count that {@code statement} reads with its parameters' {@code values} (in its order), from memory where it
     * can.
     */
    long count(String statement, List<Object> values, LongSupplier read) {
        if (values.toString().length() > MAX_KEY_CHARS) {
            return read.getAsLong();
        }
        return counts.read(List.of(statement, values), read::getAsLong);
    }
}
