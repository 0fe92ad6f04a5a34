package dev.atelier.core;

/** A failure the caller can act on; its message is shown to API clients, so it never carries secrets. */
public class AtelierException extends RuntimeException {
    private final ErrorCode errorCode;

    public AtelierException(ErrorCode errorCode, String message) {
        super(message);
        this.errorCode = errorCode;
    }

    public ErrorCode errorCode() {
        return errorCode;
    }
}
