package dev.atelier.core.service;

import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * What a running instance's auto-stop lease says now: a timing lease runs out at its deadline; an idle lease when
 * neither its notebook server nor the gateways (notebook requests, SSH traffic) saw use for its duration, counted
 * from the latest of those and of the lease's own start or renewal.
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
     * @param serverActivity the notebook server's last activity (epoch ms), when it reported one
     * @param gatewayActivity the last use seen by the gateways
     * @param healthPoll how often a running instance is looked at anyway
     */
    static Verdict judge(Lease lease, Long serverActivity, OptionalLong gatewayActivity, long now,
                         Duration healthPoll) {
        if (lease.enabled() && lease.type() == LeaseType.TIMING) {
            if (now >= lease.deadline()) {
                return new Verdict("auto-stopped: its lease ran out at " + Instant.ofEpochMilli(lease.deadline()), null);
            }
            return new Verdict(null, Duration.ofMillis(Math.min(healthPoll.toMillis(), lease.deadline() - now)));
        }
        if (lease.enabled() && lease.type() == LeaseType.IDLE && serverActivity != null) {
            long idleSince = Math.max(Math.max(serverActivity, lease.updateAt()), gatewayActivity.orElse(0));
            if (now - idleSince >= lease.requestedMs()) {
                return new Verdict("auto-stopped: idle since " + Instant.ofEpochMilli(idleSince), null);
            }
        }
        return new Verdict(null, healthPoll);
    }
}
