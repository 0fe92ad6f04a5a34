package dev.atelier.api;

/**
 * How the two API dialects spell an instance id. The core knows one spelling, {@code <uuid>}; the legacy API
 * shows {@code DE-<uuid>}, and every edge (both HTTP views and the SSH gateway) accepts both forms.
 */
public final class InstanceIds {
    /** The legacy API's prefix: {@code DE-<uuid>} there names the instance {@code <uuid>} in v1. */
    public static final String LEGACY_PREFIX = "DE-";

    private InstanceIds() {
    }

    /** An instance id as the core spells it, whichever API's form it was given in. */
    public static String canonical(String id) {
        return id != null && id.startsWith(LEGACY_PREFIX) ? id.substring(LEGACY_PREFIX.length()) : id;
    }

    /** The legacy API's spelling of a core id. */
    public static String legacy(String id) {
        return LEGACY_PREFIX + id;
    }
}
