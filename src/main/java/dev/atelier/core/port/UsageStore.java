package dev.atelier.core.port;

import java.util.Map;

/**
 * What instances' servers ran, per calendar month, for quotas on use. Kept by {@link InstanceStore}: each write
 * that makes a server run opens its meter, and the write that ends it books the time into its months, in the same
 * transaction; so this port only reads.
 */
public interface UsageStore {

    /**
     * How long servers of each flavor ran in {@code month} (milliseconds, by flavor id), of a project
     * ({@code userId} null) or of a user in it; the servers running now counted up to {@code now}.
     */
    Map<String, Long> runMillis(String projectId, String userId, String month, long now);

    /** The servers running now, of a project ({@code userId} null) or of a user in it: how many of each flavor. */
    Map<String, Long> running(String projectId, String userId);
}
