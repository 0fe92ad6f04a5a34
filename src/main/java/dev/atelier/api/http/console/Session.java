package dev.atelier.api.http.console;

import dev.atelier.core.auth.Caller;

/**
 * A signed-in console user: who they are, the project their sign-in is scoped to, the token their cookie holds and
 * the CSRF token every form of theirs must carry.
 */
public record Session(Caller caller, String token, String projectId, String csrf) {

    /** Administers the session's project (the service administrator administers every project). */
    public boolean projectAdmin() {
        return caller.administers(projectId);
    }

    public boolean serviceAdmin() {
        return caller.serviceAdmin();
    }
}
