package dev.atelier.core;

/**
 * Every failure Atelier reports, named by the core. How an API spells one (its HTTP status and ModelArts
 * {@code error_code}) is the business of each view: the v1 API and the legacy API map the same failure to their
 * own codes (reference §5.2; choices where the reference leaves room are recorded in docs/api-compatibility.md).
 */
public enum ErrorCode {
    // who is calling
    AUTH_MISSING, AUTH_MALFORMED, AUTH_EXPIRED, AUTH_BAD_SIGNATURE, TOKEN_EXPIRED, TOKEN_INVALID, TOKEN_NOT_SCOPED,
    SIGN_IN_FAILED, TOO_MANY_SIGN_INS, PROJECT_FORBIDDEN, PROJECT_INVALID, FORBIDDEN,

    // what the request says
    INVALID_PAYLOAD, MISSING_PROPERTY, WRONG_TYPE, INVALID_VALUE, ILLEGAL_CHARACTER, INVALID_PARAMETER,
    FLAVOR_NOT_SUPPORTED, IMAGE_NOT_FOUND, EVS_SIZE_OUT_OF_RANGE, DURATION_OUT_OF_RANGE, UNSUPPORTED_SORT,
    FLAVOR_NOT_SWITCHABLE, FLAVOR_SOLD_OUT, FLAVOR_FEATURE_MISMATCH, DUPLICATE_IMAGE, QUOTA_EXCEEDED,
    WORKSPACE_QUOTA_EXCEEDED, NAME_TAKEN, PAYLOAD_TOO_LARGE, REQUEST_TIMEOUT,
    /** The work volume the legacy API's create must name (its {@code spec.storage}) is missing. */
    STORAGE_MISSING,
    /** OBS storage without a path. */
    OBS_PATH_MISSING,
    /** An OBS path that does not end with '/'. */
    PATH_NOT_DIRECTORY,
    /** An OBS path that names a bucket, not a directory in one. */
    PATH_IS_BUCKET,
    /** A kind of work volume this server does not offer. */
    STORAGE_UNSUPPORTED,
    AUTO_STOP_WITHOUT_DURATION,
    /** The request asks for what this server's runtime cannot do (a capability it lacks). */
    NOT_SUPPORTED_BY_RUNTIME,

    // what is there
    NOT_FOUND, ROUTE_NOT_FOUND, METHOD_NOT_ALLOWED,

    // the instance's status does not allow the operation (see core.service.Transitions)
    ILLEGAL_STATE, INSTANCE_STARTING, INSTANCE_STOPPING, INSTANCE_FROZEN, NOT_RUNNING, NOT_MODIFIABLE_NOW,
    ALREADY_RUNNING, ALREADY_STOPPED,
    /** Deleting is allowed only once the instance is stopped (the legacy API's rule). */
    MUST_STOP_FIRST,

    // the service
    UNAVAILABLE, INTERNAL
}
