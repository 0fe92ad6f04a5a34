package dev.atelier.core.service;

import dev.atelier.core.model.Cause;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceEvent.Kind;
import dev.atelier.core.model.InstanceStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a write to an instance means to the people who read its event list, derived from the record before and after
 * the write and who made it. Pure: the same write always yields the same events, so whoever writes an instance
 * (the API, the reconciler, another replica) describes it the same way, and nothing that changes an instance can
 * forget to say so.
 */
public final class History {
    private History() {
    }

    /** The events of creating {@code created}. */
    public static List<InstanceEvent> created(Instance created, Cause cause) {
        return List.of(event(created, created.version(), 0, Kind.CREATED, cause, "created with flavor "
                + created.flavorId() + ", image " + created.imageId() + " and " + created.volume().capacityGb()
                + " GB of storage"));
    }

    /**
     * The events of a write from {@code before} to {@code after}, which will be stored as version
     * {@code before.version() + 1} at {@code after}'s update time; none when nothing a reader cares about changed
     * (a progress step, a runtime detail).
     */
    public static List<InstanceEvent> between(Instance before, Instance after, Cause cause, long at) {
        List<Draft> drafts = new ArrayList<>();
        boolean asked = before.desired() != after.desired();
        if (asked) {
            drafts.add(switch (after.desired()) {
                case DELETED -> new Draft(Kind.DELETE_REQUESTED, "deletion asked for");
                case STOPPED -> new Draft(Kind.STOP_REQUESTED, after.failReason() != null ? after.failReason()
                        : "stop asked for");
                case RUNNING -> new Draft(Kind.START_REQUESTED, "start asked for" + leaseWords(after));
            });
        } else if (before.status() != after.status()) {
            Draft d = statusChange(before, after);
            if (d != null) {
                drafts.add(d);
            }
        } else if (!Objects.equals(before.failReason(), after.failReason())) {
            drafts.add(after.failReason() != null ? new Draft(Kind.WARNING, after.failReason())
                    : new Draft(Kind.RECOVERED, "no longer holds: " + before.failReason()));
        }
        String changed = specChanges(before, after);
        if (!changed.isEmpty()) {
            drafts.add(new Draft(Kind.UPDATED, changed));
        } else if (!asked && before.status() == after.status() && before.lease().deadline() != after.lease().deadline()
                && after.lease().enabled()) {
            drafts.add(new Draft(Kind.LEASE_RENEWED, "auto stop restarted" + leaseWords(after)));
        }
        List<InstanceEvent> events = new ArrayList<>(drafts.size());
        for (int n = 0; n < drafts.size(); n++) {
            Draft d = drafts.get(n);
            events.add(new InstanceEvent(after.id(), before.version() + 1, n, at, d.kind(), cause.actor(), cause.name(),
                    cause.requestId(), after.status(), d.message()));
        }
        return events;
    }

    private static Draft statusChange(Instance before, Instance after) {
        InstanceStatus to = after.status();
        if (to.isFailed()) {
            return new Draft(Kind.FAILED, after.failReason() != null ? after.failReason() : to.name());
        }
        return switch (to) {
            case RUNNING -> before.status() == InstanceStatus.SNAPSHOTTING ? null
                    : new Draft(Kind.RUNNING, "the notebook server is ready");
            case STOPPED -> new Draft(Kind.STOPPED, "the notebook server was stopped");
            case STARTING -> new Draft(Kind.START_REQUESTED, "start asked for" + leaseWords(after));
            case SNAPSHOTTING -> new Draft(Kind.IMAGE_SAVE_STARTED, "saving the instance as an image");
            default -> null;
        };
    }

    private static String specChanges(Instance before, Instance after) {
        List<String> parts = new ArrayList<>();
        if (!before.name().equals(after.name())) {
            parts.add("name " + before.name() + " → " + after.name());
        }
        if (!before.description().equals(after.description())) {
            parts.add("description");
        }
        if (!before.flavorId().equals(after.flavorId())) {
            parts.add("flavor " + before.flavorId() + " → " + after.flavorId());
        }
        if (!before.imageId().equals(after.imageId())) {
            parts.add("image " + before.imageId() + " → " + after.imageId());
        }
        if (before.volume().capacityGb() != after.volume().capacityGb()) {
            parts.add("storage " + before.volume().capacityGb() + " → " + after.volume().capacityGb() + " GB");
        }
        boolean restarted = before.lease().deadline() != after.lease().deadline();
        if (before.desired() == after.desired() && !restarted && (before.lease().enabled() != after.lease().enabled()
                || before.lease().requestedMs() != after.lease().requestedMs())) {
            parts.add(after.lease().enabled() ? leaseWords(after).substring(2) : "auto stop off");
        }
        return parts.isEmpty() ? "" : String.join("; ", parts);
    }

    private static String leaseWords(Instance i) {
        if (!i.lease().enabled()) {
            return "; no auto stop";
        }
        return "; auto stop after " + minutes(i.lease().requestedMs())
                + (i.lease().type() == dev.atelier.core.model.LeaseType.IDLE ? " idle" : "");
    }

    private static String minutes(long ms) {
        long m = ms / 60_000;
        return m % 60 == 0 ? m / 60 + " h" : m + " min";
    }

    private static InstanceEvent event(Instance i, long version, int ordinal, Kind kind, Cause cause, String message) {
        return new InstanceEvent(i.id(), version, ordinal, i.updateAt(), kind, cause.actor(), cause.name(),
                cause.requestId(), i.status(), message);
    }

    private record Draft(Kind kind, String message) {
    }
}
