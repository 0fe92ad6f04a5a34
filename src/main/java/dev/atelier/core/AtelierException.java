package dev.atelier.core;

import java.time.Duration;

/** A failure the caller can act on; its message is shown to API clients, so it never carries secrets. */
public class AtelierException extends RuntimeException {
    private final ErrorCode errorCode;
    private Duration retryAfter;

    public AtelierException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }

    /** Tells the client when trying again can succeed (HTTP Retry-After). */
    public AtelierException retryAfter(Duration wait) {
        this.retryAfter = wait;
        return this;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
