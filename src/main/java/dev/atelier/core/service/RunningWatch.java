package dev.atelier.core.service;

import dev.atelier.core.model.Cause;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceRuntime.Health;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciler's look at a running instance: whether its server still answers (a short silence is waited out,
 * an engine that does not answer concludes nothing), what to tell its user (a notice, said while it holds), and
 * whether its lease or a monthly quota has run out (warned before), counting a busy kernel and users' traffic as
 * use. What it concludes is written
 * through the reconciler's compare-and-set write.
 */
final class RunningWatch {
    private static final Logger log = LoggerFactory.getLogger(RunningWatch.class);
    /** How long a running server may leave health polls unanswered before it counts as failed. */
    static final Duration UNANSWERED_LIMIT = Duration.ofSeconds(3);

    /** The reconciler's writes. */
    interface Writes {
        /** Only a real change, with its events; empty when another writer came first. */
        Optional<Instance> write(Instance current, Instance next, Cause cause);

        /** Reports the failure at once; the next pass stops what is left. */
        Optional<Duration> fail(Instance inst, InstanceStatus failed, String reason);
    }

    private final InstanceRuntime runtime;
    private final Seating seating;
    private final MountSteps mounts;
    private final Activity activity;
    private final Clock clock;
    private final Duration healthPoll;
    private final Writes writes;
    /** When each running instance's server stopped answering polls (in memory: it only times a short wait). */
    private final Map<String, Long> silentSince = new java.util.concurrent.ConcurrentHashMap<>();
    /** The last verdict on each running instance's monthly quotas, and until when it holds. */
    private final Map<String, Judged> judged = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Function<Instance, Quotas.Verdict> quotas = inst -> Quotas.Verdict.NONE;
    private volatile long lastPrune;

    RunningWatch(InstanceRuntime runtime, Seating seating, MountSteps mounts, Activity activity, Clock clock,
                 Duration healthPoll, Writes writes) {
        this.runtime = runtime;
        this.seating = seating;
        this.mounts = mounts;
        this.activity = activity;
        this.clock = clock;
        this.healthPoll = healthPoll;
        this.writes = writes;
    }

    /** Sets what judges running instances against their monthly quotas (none until it is set). */
    void limitedBy(Function<Instance, Quotas.Verdict> judge) {
        this.quotas = judge;
    }

    /**
     * The last verdict on the instance's monthly quotas while it holds (its {@code lookAgain}, at most
     * {@link Quotas#JUDGE_EVERY}), else a new one: the quotas' queries are not made on every health poll.
     */
    private Judged quotaVerdict(Instance inst) {
        long now = clock.millis();
        Judged last = judged.get(inst.id());
        if (last != null && now < last.until()) {
            return last;
        }
        Quotas.Verdict v = quotas.apply(inst);
        Duration holds = v.lookAgain().compareTo(Quotas.JUDGE_EVERY) < 0 ? v.lookAgain() : Quotas.JUDGE_EVERY;
        Judged next = new Judged(v, now + holds.toMillis());
        judged.put(inst.id(), next);
        if (now - lastPrune > Quotas.JUDGE_EVERY.toMillis()) {
            // instances stopped by other means leave theirs, dropped once stale; a running one's is renewed
            lastPrune = now;
            judged.values().removeIf(j -> j.until() < now - Quotas.JUDGE_EVERY.toMillis());
        }
        return next;
    }

    private record Judged(Quotas.Verdict verdict, long until) {
    }

    /** One look; returns when to look again. */
    Optional<Duration> look(Instance inst) {
        seating.keep(inst);
        Health health = runtime.poll(inst.id(), inst.serverToken(), inst.runtimeState());
        if (health.phase() == InstanceRuntime.Phase.UNREACHABLE) {
            // nothing is known, so nothing is concluded: the reason is shown until the engine answers again
            silentSince.remove(inst.id());
            if (!health.reason().equals(inst.failReason())) {
                log.warn("instance {}: {}", inst.id(), health.reason());
                writes.write(inst, inst.withStatus(inst.status(), inst.progress(), health.reason()),
                        Cause.HEALTH_CHECK);
            }
            return Optional.of(healthPoll);
        }
        if (health.phase() == InstanceRuntime.Phase.STARTING) {
            // a running server that does not answer: hung, or too busy to answer. Given a little time, then failed
            long since = silentSince.computeIfAbsent(inst.id(), k -> clock.millis());
            long silent = clock.millis() - since;
            if (silent < UNANSWERED_LIMIT.toMillis()) {
                return Optional.of(Duration.ofMillis(Math.min(healthPoll.toMillis(), 1000)));
            }
            health = Health.failed("the notebook server stopped answering (no reply for " + silent / 1000 + " s)");
        }
        silentSince.remove(inst.id());
        if (health.phase() == InstanceRuntime.Phase.FAILED) {
            // stopping what is left (a hung server waits out the grace period) is the next pass
            return writes.fail(inst, InstanceStatus.ERROR, health.reason());
        }
        mounts.reconcile(inst, true);
        Judged judgedNow = quotaVerdict(inst);
        Quotas.Verdict quota = judgedNow.verdict();
        if (quota.stopReason() != null) {
            judged.remove(inst.id());
            log.info("instance {} {}", inst.id(), quota.stopReason());
            writes.write(inst, inst.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPING)
                    .withStatus(InstanceStatus.STOPPING, inst.progress(), quota.stopReason()), Cause.QUOTA);
            return Optional.of(Duration.ZERO);
        }
        String notice = health.notice() == null ? quota.warning()
                : quota.warning() == null ? health.notice() : health.notice() + "; " + quota.warning();
        if (notice != null && !notice.equals(inst.failReason())) {
            log.warn("instance {}: {}", inst.id(), notice);
            writes.write(inst, inst.withStatus(inst.status(), inst.progress(), notice), Cause.HEALTH_CHECK);
            return Optional.of(Duration.ZERO);
        }
        if (notice == null && inst.failReason() != null) {
            // a running instance's reason is a notice, said again on every look while it holds: this one no longer
            // does (the engine answers again, say)
            writes.write(inst, inst.withStatus(inst.status(), inst.progress(), null), Cause.HEALTH_CHECK);
            return Optional.of(Duration.ZERO);
        }
        if (Boolean.TRUE.equals(health.busy()) || activity.executing(inst.id())) {
            activity.touch(inst.id()); // a kernel computing is use, though no client is attached
        }
        LeasePolicy.Verdict verdict = LeasePolicy.judge(inst.lease(), health.busy() != null,
                activity.last(inst.id()), clock.millis(), healthPoll);
        if (!verdict.stop()) {
            Duration toQuota = Duration.ofMillis(Math.max(0, judgedNow.until() - clock.millis()));
            return Optional.of(toQuota.compareTo(verdict.lookAgain()) < 0 ? toQuota : verdict.lookAgain());
        }
        log.info("instance {} {}", inst.id(), verdict.stopReason());
        writes.write(inst, inst.withDesired(DesiredState.STOPPED, null, InstanceStatus.STOPPING)
                .withStatus(InstanceStatus.STOPPING, inst.progress(), verdict.stopReason()),
                inst.lease().type() == LeaseType.IDLE ? Cause.IDLE_CULLER : Cause.LEASE);
        return Optional.of(Duration.ZERO);
    }
}
