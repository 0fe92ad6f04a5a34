package dev.atelier.api.http.console;

import dev.atelier.core.AtelierException;
import java.util.Map;

/**
 * A failure as a sentence for a person. The core's messages are written for API clients and name JSON fields; the
 * console names the form's fields instead, and says what to do where the core's message does not.
 */
final class Messages {
    private static final Map<String, String> FIELDS = Map.of(
            "volume.capacity", "Storage size",
            "storage_new_size", "New storage size",
            "keypair.public_key", "Public key",
            "keypair.name", "Name",
            "endpoints", "SSH access",
            "duration", "Auto stop");

    private Messages() {
    }

    /**
     * The status a page answers a failure with: the v1 API's, but for what is not there, which ModelArts answers
     * with 400 and a page with 404, as browsers and people expect.
     */
    static int status(dev.atelier.core.ErrorCode code) {
        return switch (code) {
            case NOT_FOUND, IMAGE_NOT_FOUND, ROUTE_NOT_FOUND -> 404;
            default -> dev.atelier.api.http.HttpApi.statusOf(code);
        };
    }

    /** Records the failure for the audit and metrics; returns the status a page of it answers with. */
    static int refused(io.javalin.http.Context ctx, AtelierException e) {
        dev.atelier.api.http.HttpApi.failed(ctx, e.errorCode());
        return status(e.errorCode());
    }

    /** What a form field held, as the form shows it again ("" when nothing). */
    static String value(String v) {
        return v == null ? "" : v;
    }

    static String of(AtelierException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        switch (e.errorCode()) {
            case SIGN_IN_FAILED:
                if (m.startsWith("the user has no role in any project")) {
                    return "You belong to no project yet. Ask an administrator to add you to one.";
                }
                return m.startsWith("the user has no role") ? "You have no role in that project."
                        : "The user name or password is wrong.";
            case TOO_MANY_SIGN_INS:
                return "Too many failed sign-ins. Wait a while and try again.";
            case TOKEN_EXPIRED, TOKEN_INVALID:
                return "Your session has ended. Sign in again.";
            case PROJECT_FORBIDDEN, FORBIDDEN:
                return "You may not do this. " + sentence(m);
            case ROUTE_NOT_FOUND:
                return "There is no such page.";
            default:
                break;
        }
        for (var f : FIELDS.entrySet()) {
            if (m.startsWith(f.getKey() + " ") || m.startsWith(f.getKey() + ":")) {
                m = f.getValue() + m.substring(f.getKey().length());
                break;
            }
        }
        return sentence(m);
    }

    static String sentence(String m) {
        if (m.isEmpty()) {
            return m;
        }
        String s = Character.toUpperCase(m.charAt(0)) + m.substring(1);
        return s.endsWith(".") || s.endsWith("?") || s.endsWith("!") ? s : s + ".";
    }
}
