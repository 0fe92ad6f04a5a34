package dev.atelier.api.http;

import dev.atelier.core.ErrorCode;

/**
 * How each API view spells a failure the core names: an HTTP status and a ModelArts {@code error_code}. The v1
 * table is exhaustive (a new failure does not compile until it has a code); the legacy API differs where its own
 * pages give other codes (reference §4).
 */
public final class WireCodes {

    /** An error as it goes on the wire. */
    public record Wire(int status, String code) {
    }

    /** The two dialects of the same API. */
    public enum View { V1, LEGACY }

    private WireCodes() {
    }

    public static Wire of(View view, ErrorCode failure) {
        return view == View.LEGACY ? legacy(failure) : v1(failure);
    }

    /**
     * The JSON body of an error in a view: {@code error_code}, {@code error_msg} (and {@code error_message}, as the
     * legacy pages name it), and the request id when there is one.
     */
    public static java.util.Map<String, Object> body(View view, Wire wire, String message, Object requestId) {
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("error_code", wire.code());
        body.put("error_msg", message);
        if (view == View.LEGACY) {
            body.put("error_message", message);
        }
        if (requestId != null) {
            body.put("request_id", requestId);
        }
        return body;
    }

    /** The view a request path belongs to. */
    static View viewOf(String path) {
        return path.contains("/demanager/") ? View.LEGACY : View.V1;
    }

    static Wire v1(ErrorCode failure) {
        return switch (failure) {
            case AUTH_MISSING -> wire(401, "0201");
            case AUTH_MALFORMED, SIGN_IN_FAILED -> wire(401, "0206");
            case AUTH_EXPIRED -> wire(401, "0207");
            case AUTH_BAD_SIGNATURE -> wire(401, "0208");
            case TOKEN_EXPIRED -> wire(401, "0202");
            case TOKEN_INVALID -> wire(401, "0203");
            case TOKEN_NOT_SCOPED -> wire(400, "0204");
            case TOO_MANY_SIGN_INS -> wire(429, "6101");
            case PROJECT_FORBIDDEN -> wire(403, "0210");
            case PROJECT_INVALID -> wire(400, "0210");
            case FORBIDDEN -> wire(403, "0108");
            case INVALID_PAYLOAD -> wire(400, "6400");
            case MISSING_PROPERTY -> wire(400, "6335");
            case WRONG_TYPE -> wire(400, "6332");
            // failures only the legacy API's requests can cause, spelled as v1 would if they reached it
            case INVALID_VALUE, STORAGE_MISSING, OBS_PATH_MISSING, PATH_NOT_DIRECTORY, PATH_IS_BUCKET,
                 STORAGE_UNSUPPORTED, AUTO_STOP_WITHOUT_DURATION, NOT_SUPPORTED_BY_RUNTIME -> wire(400, "6336");
            case ILLEGAL_CHARACTER -> wire(400, "6334");
            case INVALID_PARAMETER -> wire(400, "0107");
            case FLAVOR_NOT_SUPPORTED -> wire(400, "6323");
            case IMAGE_NOT_FOUND -> wire(400, "6797");
            case EVS_SIZE_OUT_OF_RANGE -> wire(400, "6331");
            case DURATION_OUT_OF_RANGE -> wire(400, "6349");
            case UNSUPPORTED_SORT -> wire(400, "6303");
            case FLAVOR_NOT_SWITCHABLE -> wire(400, "6792");
            case FLAVOR_SOLD_OUT -> wire(400, "6329");
            case FLAVOR_FEATURE_MISMATCH -> wire(400, "6870");
            case DUPLICATE_IMAGE -> wire(400, "6737");
            case QUOTA_EXCEEDED -> wire(400, "6302");
            case WORKSPACE_QUOTA_EXCEEDED -> wire(400, "0113");
            case NOT_FOUND -> wire(400, "6404");
            case NAME_TAKEN -> wire(400, "6301");
            case ROUTE_NOT_FOUND -> wire(404, "6404");
            case METHOD_NOT_ALLOWED -> wire(405, "0101");
            case PAYLOAD_TOO_LARGE -> wire(413, "6400");
            case REQUEST_TIMEOUT -> wire(408, "6400");
            // "already in the target state" and "another operation in progress" are both 6357 in v1, which
            // Terraform reads as "already stopped" on stop
            case ILLEGAL_STATE, ALREADY_RUNNING, ALREADY_STOPPED, MUST_STOP_FIRST -> wire(400, "6357");
            case INSTANCE_STARTING -> wire(400, "6306");
            case INSTANCE_STOPPING -> wire(400, "6308");
            case INSTANCE_FROZEN -> wire(400, "6326");
            case NOT_RUNNING -> wire(400, "6327");
            case NOT_MODIFIABLE_NOW -> wire(400, "6347");
            case UNAVAILABLE -> wire(503, "6101");
            case INTERNAL -> wire(500, "6102");
        };
    }

    static Wire legacy(ErrorCode failure) {
        return switch (failure) {
            case INVALID_PARAMETER -> wire(400, "0104");
            case NOT_FOUND -> wire(400, "6309");
            case MUST_STOP_FIRST -> wire(400, "6304");
            case ALREADY_RUNNING -> wire(400, "6305");
            case ALREADY_STOPPED -> wire(400, "6307");
            case STORAGE_MISSING -> wire(400, "6316");
            case OBS_PATH_MISSING -> wire(400, "6317");
            case PATH_NOT_DIRECTORY -> wire(400, "6318");
            case PATH_IS_BUCKET -> wire(400, "6358");
            case STORAGE_UNSUPPORTED -> wire(400, "6324");
            case AUTO_STOP_WITHOUT_DURATION -> wire(400, "6348");
            default -> v1(failure);
        };
    }

    private static Wire wire(int status, String number) {
        return new Wire(status, "ModelArts." + number);
    }
}
