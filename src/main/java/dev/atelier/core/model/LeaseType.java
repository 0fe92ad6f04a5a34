package dev.atelier.core.model;

import java.util.Locale;
import java.util.Optional;

/** How an auto-stop lease counts: down from its start ({@code TIMING}) or from the last use ({@code IDLE}). */
public enum LeaseType {
    TIMING, IDLE;

    /** The type a client named, in any case; empty when it names none of them. */
    public static Optional<LeaseType> parse(String name) {
        for (LeaseType t : values()) {
            if (t.name().equals(name.toUpperCase(Locale.ROOT))) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
