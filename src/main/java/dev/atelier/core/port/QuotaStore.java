package dev.atelier.core.port;

import java.util.Map;

/** Limits on what runs at once, per project ({@code userId} null) or per user in a project. No entry: no limit. */
public interface QuotaStore {

    Map<String, Long> limits(String projectId, String userId);

    /** Sets a limit; {@code -1} removes it. */
    void set(String projectId, String userId, String resource, long limit, long now);
}
