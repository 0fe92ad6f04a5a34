package dev.atelier.core.model;

import java.util.Locale;
import java.util.Optional;

/** What an instance is for (reference §2.1): a notebook of the user's quota, or the one free CodeLab instance. */
public enum Feature {
    NOTEBOOK, DEFAULT;

    /** The feature a request names, in any case; empty when it names none of them. */
    public static Optional<Feature> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(valueOf(value.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
