package dev.atelier.core.port;

import java.util.function.Consumer;

/**
 * A runtime capability: the runtime says when a starting server may have changed, so that the core need not poll
 * it often. Only a hint: the core still polls, and a runtime without it is polled as {@link InstanceRuntime#poll}
 * asks.
 */
public interface ChangeHints {

    /** {@code listener} gets the instance's id, from any thread; it must return quickly. */
    void onChange(Consumer<String> listener);
}
