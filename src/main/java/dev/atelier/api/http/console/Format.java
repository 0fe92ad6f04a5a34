package dev.atelier.api.http.console;

import dev.atelier.core.model.InstanceStatus;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** How the console writes times, durations and statuses. */
public final class Format {
    private static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    private Format() {
    }

    public static String when(long epochMs) {
        return epochMs <= 0 ? "" : WHEN.format(Instant.ofEpochMilli(epochMs));
    }

    /** {@code ms} as "2 h 05 min", "12 min" or "less than a minute". */
    public static String duration(long ms) {
        if (ms < 60_000) {
            return "less than a minute";
        }
        long minutes = ms / 60_000;
        long hours = minutes / 60;
        return hours == 0 ? minutes + " min" : String.format("%d h %02d min", hours, minutes % 60);
    }

    /** The colour class of a status's badge: ok (running), busy (on its way), bad (failed), idle (stopped). */
    public static String badge(String status) {
        InstanceStatus s;
        try {
            s = InstanceStatus.valueOf(status);
        } catch (IllegalArgumentException e) {
            return "idle";
        }
        if (s == InstanceStatus.RUNNING) {
            return "ok";
        }
        if (s.isTransitional()) {
            return "busy";
        }
        if (s.isFailed()) {
            return "bad";
        }
        return "idle";
    }

    /** A status as words: "START_FAILED" as "start failed". */
    public static String status(String status) {
        return status.toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
