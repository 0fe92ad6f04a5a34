package dev.atelier.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Months;
import dev.atelier.store.sql.SqlEventStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quotas on vCPU- and GPU-hours per calendar month, counted from what ran: a running instance is warned before its
 * quota runs out and stopped when it has; a start is then refused until the next month. The clock starts a day into
 * a month, so that no run crosses into the next.
 */
class MonthlyQuotaTest {
    private static final String CPU_2U = "modelarts.vm.cpu.2u";
    @TempDir
    Path dir;
    ServiceWorld world;

    @BeforeEach
    void open() {
        world = new ServiceWorld(dir);
        long now = world.clock.millis();
        world.clock.advance(Duration.ofMillis(Months.end(Months.of(now)) + Duration.ofDays(1).toMillis() - now));
    }

    @AfterEach
    void close() {
        world.close();
    }

    private Instance lookAfter(Duration d, Instance i) {
        world.clock.advance(d);
        world.reconciler.reconcile(i.id());
        return world.now(i.id());
    }

    private static final long HOUR = Duration.ofHours(1).toMillis();

    /** A moment as the warnings name it: the nearest minute, UTC. */
    private static String minute(long epochMillis) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm").withZone(java.time.ZoneOffset.UTC)
                .format(java.time.Instant.ofEpochMilli(epochMillis + 30_000));
    }

    private Quotas.Usage usage(String userId, String resource) {
        return world.quotas.usage("p1", userId).stream().filter(u -> u.resource().equals(resource)).findFirst()
                .orElseThrow();
    }

    @Test
    void aRunningInstanceIsWarnedHalfAnHourBeforeItsProjectsVcpuHoursRunOutThenStoppedAndNotStartedAgain() {
        world.quotaStore.set("p1", null, "vcpu_hours", 2, 0); // one hour of a 2-vCPU flavor
        Instance i = world.running(CPU_2U, "timing");

        Instance at20 = lookAfter(Duration.ofMinutes(20), i);
        assertThat(at20.status()).isEqualTo(InstanceStatus.RUNNING);
        assertThat(at20.failReason()).as("40 min to go: nothing to say yet").isNull();
        assertThat(usage(null, "vcpu_hours").used()).isEqualTo(0.66);

        Instance at35 = lookAfter(Duration.ofMinutes(15), i);
        assertThat(at35.status()).isEqualTo(InstanceStatus.RUNNING);
        assertThat(at35.failReason()).contains("monthly quota of project p1 (2 vcpu_hours in ")
                .contains("is nearly used up").contains("runs out at about " + minute(i.updateAt() + HOUR) + " UTC");
        assertThat(lookAfter(Duration.ofSeconds(61), i).failReason()).as("said the same while the use goes on")
                .isEqualTo(at35.failReason());
        assertThat(new SqlEventStore(world.db).page(i.id(), 0, 10).items())
                .filteredOn(e -> e.kind() == InstanceEvent.Kind.WARNING).hasSize(1);

        Instance at61 = lookAfter(Duration.ofMinutes(25), i);
        assertThat(at61.desired()).isEqualTo(DesiredState.STOPPED);
        assertThat(at61.status()).isEqualTo(InstanceStatus.STOPPING);
        assertThat(at61.failReason()).startsWith("stopped: the monthly quota of project p1 is used up (2 vcpu_hours in "
                + Months.of(world.clock.millis()));
        InstanceEvent stop = new SqlEventStore(world.db).page(i.id(), 0, 1).items().getFirst();
        assertThat(stop.kind()).isEqualTo(InstanceEvent.Kind.STOP_REQUESTED);
        assertThat(stop.actor()).isEqualTo(InstanceEvent.Actor.QUOTA);
        world.reconciler.reconcile(i.id());
        assertThat(world.now(i.id()).status()).isEqualTo(InstanceStatus.STOPPED);

        double used = (double) usage(null, "vcpu_hours").used();
        world.clock.advance(Duration.ofHours(5));
        assertThat(usage(null, "vcpu_hours").used()).as("a stopped instance adds nothing").isEqualTo(used);
        assertThatThrownBy(() -> world.instances.start(world.alice, "p1", i.id(), null, null))
                .isInstanceOfSatisfying(AtelierException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                .hasMessageContaining("project p1 may use 2 vcpu_hours in").hasMessageContaining("It renews on");
        assertThatThrownBy(() -> world.create(CPU_2U, "timing")).isInstanceOf(AtelierException.class);

        world.quotaStore.set("p1", null, "vcpu_hours", 3, 0);
        assertThat(world.instances.start(world.alice, "p1", i.id(), null, null).desired())
                .as("a raised quota lets it start").isEqualTo(DesiredState.RUNNING);
    }

    @Test
    void aUsersQuotaCountsOnlyTheirInstancesAndAGpuHourQuotaDoesNotStopAnInstanceWithoutGpus() {
        world.quotaStore.set("p1", "u-alice", "gpu_hours", 0, 0);
        world.quotaStore.set("p1", "u-alice", "vcpu_hours", 1, 0);
        Instance i = world.running(CPU_2U, "timing");
        Instance at10 = lookAfter(Duration.ofMinutes(10), i);
        assertThat(at10.failReason()).contains("monthly quota of user u-alice in project p1")
                .contains("runs out at about " + minute(i.updateAt() + HOUR / 2) + " UTC");
        assertThat(usage("u-alice", "gpu_hours").used()).isEqualTo(0.0);
        assertThat(usage("u-alice", "gpu_hours").limit()).isZero();

        Instance at31 = lookAfter(Duration.ofMinutes(21), i);
        assertThat(at31.desired()).isEqualTo(DesiredState.STOPPED);
        assertThat(at31.failReason()).contains("quota of user u-alice in project p1 is used up (1 vcpu_hours");
        assertThat(usage("someone-else", "vcpu_hours").used()).isEqualTo(0.0);
        assertThat(usage(null, "vcpu_hours").used()).isEqualTo(1.03);
    }

    @Test
    void aQuotaSetWhileAnInstanceRunsCountsWithinAMinuteAndAWarningThatNoLongerHoldsIsCleared() {
        Instance i = world.running(CPU_2U, "timing");
        lookAfter(Duration.ofMinutes(30), i);
        world.quotaStore.set("p1", null, "vcpu_hours", 2, 0);
        assertThat(lookAfter(Duration.ofSeconds(61), i).failReason()).contains("nearly used up");
        world.quotaStore.set("p1", null, "vcpu_hours", -1, 0);
        Instance lifted = lookAfter(Duration.ofSeconds(61), i);
        assertThat(lifted.status()).isEqualTo(InstanceStatus.RUNNING);
        assertThat(lifted.failReason()).isNull();
        assertThat(world.quotas.usage("p1", null)).extracting(Quotas.Usage::resource)
                .containsExactly("instances", "vcpus", "memory_mib", "gpus", "vcpu_hours", "gpu_hours");
        assertThat(Map.of("limit", usage(null, "vcpu_hours").limit())).containsEntry("limit", -1L);
        assertThatThrownBy(() -> world.quotas.set(new dev.atelier.core.auth.Caller("u-root", "root", "token", true,
                Map.of(), null), "p1", null,
                Map.of("gpu_hours", Long.MAX_VALUE))).hasMessageContaining("0 to 1000000000");
    }
}
