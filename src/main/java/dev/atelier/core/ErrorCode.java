package dev.atelier.core;

/**
 * Every error Atelier reports, with the HTTP status and the ModelArts {@code error_code} it maps to
 * (reference §5.2; choices where the reference leaves room are recorded in docs/api-compatibility.md).
 */
public enum ErrorCode {
    AUTH_MISSING(401, "ModelArts.0201"),
    AUTH_MALFORMED(401, "ModelArts.0206"),
    AUTH_EXPIRED(401, "ModelArts.0207"),
    AUTH_BAD_SIGNATURE(401, "ModelArts.0208"),
    TOKEN_EXPIRED(401, "ModelArts.0202"),
    TOKEN_INVALID(401, "ModelArts.0203"),
    TOKEN_NOT_SCOPED(400, "ModelArts.0204"),
    SIGN_IN_FAILED(401, "ModelArts.0206"),
    TOO_MANY_SIGN_INS(429, "ModelArts.6101"),
    PROJECT_FORBIDDEN(403, "ModelArts.0210"),
    FORBIDDEN(403, "ModelArts.0108"),

    INVALID_PAYLOAD(400, "ModelArts.6400"),
    MISSING_PROPERTY(400, "ModelArts.6335"),
    WRONG_TYPE(400, "ModelArts.6332"),
    INVALID_VALUE(400, "ModelArts.6336"),
    ILLEGAL_CHARACTER(400, "ModelArts.6334"),
    INVALID_PARAMETER(400, "ModelArts.0107"),
    FLAVOR_NOT_SUPPORTED(400, "ModelArts.6323"),
    IMAGE_NOT_FOUND(400, "ModelArts.6797"),
    EVS_SIZE_OUT_OF_RANGE(400, "ModelArts.6331"),
    DURATION_OUT_OF_RANGE(400, "ModelArts.6349"),

    UNSUPPORTED_SORT(400, "ModelArts.6303"),
    FLAVOR_NOT_SWITCHABLE(400, "ModelArts.6792"),
    FLAVOR_SOLD_OUT(400, "ModelArts.6329"),
    FLAVOR_FEATURE_MISMATCH(400, "ModelArts.6870"),
    DUPLICATE_IMAGE(400, "ModelArts.6737"),
    QUOTA_EXCEEDED(400, "ModelArts.6302"),
    WORKSPACE_QUOTA_EXCEEDED(400, "ModelArts.0113"),

    NOT_FOUND(400, "ModelArts.6404"),
    NAME_TAKEN(400, "ModelArts.6301"),
    ROUTE_NOT_FOUND(404, "ModelArts.6404"),
    METHOD_NOT_ALLOWED(405, "ModelArts.0101"),
    PAYLOAD_TOO_LARGE(413, "ModelArts.6400"),
    REQUEST_TIMEOUT(408, "ModelArts.6400"),
    ILLEGAL_STATE(400, "ModelArts.6357"),
    INSTANCE_STARTING(400, "ModelArts.6306"),
    INSTANCE_STOPPING(400, "ModelArts.6308"),
    INSTANCE_FROZEN(400, "ModelArts.6326"),
    NOT_RUNNING(400, "ModelArts.6327"),
    NOT_MODIFIABLE_NOW(400, "ModelArts.6347"),

    // the legacy (demanager) API's own codes
    LEGACY_PARAMETER(400, "ModelArts.0104"),
    LEGACY_NOT_FOUND(400, "ModelArts.6309"),
    LEGACY_MUST_STOP_FIRST(400, "ModelArts.6304"),
    LEGACY_ALREADY_RUNNING(400, "ModelArts.6305"),
    LEGACY_ALREADY_STOPPED(400, "ModelArts.6307"),
    LEGACY_STORAGE_MISSING(400, "ModelArts.6316"),
    LEGACY_OBS_PATH_MISSING(400, "ModelArts.6317"),
    LEGACY_PATH_NOT_DIRECTORY(400, "ModelArts.6318"),
    LEGACY_PATH_IS_BUCKET(400, "ModelArts.6358"),
    LEGACY_STORAGE_UNSUPPORTED(400, "ModelArts.6324"),
    LEGACY_AUTO_STOP_WITHOUT_DURATION(400, "ModelArts.6348"),

    UNAVAILABLE(503, "ModelArts.6101"),
    INTERNAL(500, "ModelArts.6102");

    private final int httpStatus;
    private final String code;

    ErrorCode(int httpStatus, String code) {
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }
}
