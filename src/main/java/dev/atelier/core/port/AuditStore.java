package dev.atelier.core.port;

import java.util.List;

/** The audit log: one entry per state-changing call, kept in the store so that it outlives the server. */
public interface AuditStore {

    void record(AuditEvent event);

    /** Entries newest first, narrowed by the query's non-null fields. */
    List<AuditEvent> query(AuditQuery query);

    /** One state-changing call: who, from where, what, and how it ended. */
    record AuditEvent(String requestId, long at, String userId, String userName, String credential, String address,
                      String method, String path, String projectId, int status, String errorCode) {
    }

    /**
     * {@code projects}, when not null, limits the answer to those projects (a project administrator's view);
     * {@code projectId} and {@code userId} narrow further.
     */
    record AuditQuery(List<String> projects, String projectId, String userId, Long since, Long until, int offset,
                      int limit) {
    }
}
