package dev.atelier.core.port;

/**
 * A runtime capability: storage attached to, and detached from, a running instance (dynamic storage, reference
 * §2.18). A runtime without it refuses attaching with {@code ErrorCode.NOT_SUPPORTED_BY_RUNTIME}.
 */
public interface StorageAttachment {

    /**
     * Makes the storage at {@code uri} (e.g. {@code obs://bucket/dir/}) appear at {@code mountPath} in the
     * running instance.
     * @throws InstanceRuntime.RuntimeFailure when it cannot; the message says why
     */
    void attach(String instanceId, String mountPath, String uri);

    /** Removes what {@link #attach} made appear; the storage's data stays. */
    void detach(String instanceId, String mountPath);
}
