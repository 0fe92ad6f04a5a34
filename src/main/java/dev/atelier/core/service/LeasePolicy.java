package dev.atelier.core.service;

import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * What a running instance's auto-stop lease says now: a timing lease runs out at its deadline; an idle lease when
 * nobody used the instance for its duration, counted from the latest use and the lease's own start or renewal. Use
 * is what people mean by it ({@link Activity}): code sent, keys typed, a save, SSH traffic, a kernel computing.
 */
final class LeasePolicy {
    /** Stop the instance, for this reason; or look again after {@code lookAgain}. */
    record Verdict(String stopReason, Duration lookAgain) {
        boolean stop() {
            return stopReason != null;
        }
    }

    private LeasePolicy() {
    }

    /**
     * @param serverTells whether the notebook server could say if it is busy: where it cannot, an idle lease does
     *                    not stop it (a long computation would look like silence)
     * @param lastUse the last use seen (gateways, a busy kernel)
     * @param healthPoll how often a running instance is looked at anyway
     */
    static Verdict judge(Lease lease, boolean serverTells, OptionalLong lastUse, long now, Duration healthPoll) {
        if (lease.enabled() && lease.type() == LeaseType.TIMING) {
            if (now >= lease.deadline()) {
                return new Verdict("auto-stopped: its lease ran out at " + Instant.ofEpochMilli(lease.deadline()), null);
            }
            return new Verdict(null, Duration.ofMillis(Math.min(healthPoll.toMillis(), lease.deadline() - now)));
        }
        if (lease.enabled() && lease.type() == LeaseType.IDLE && serverTells) {
            long idleSince = Math.max(lease.updateAt(), lastUse.orElse(0));
            if (now - idleSince >= lease.requestedMs()) {
                return new Verdict("auto-stopped: idle since " + Instant.ofEpochMilli(idleSince), null);
            }
        }
        return new Verdict(null, healthPoll);
    }
}
