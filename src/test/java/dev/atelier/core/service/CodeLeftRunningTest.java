package dev.atelier.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.port.InstanceRuntime.Health;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idle lease and code sent to a kernel that the kernel has not yet said it is done with, while the notebook
 * server shows the kernel idle (it missed the "busy", or the kernel answered another request on its control
 * channel meanwhile).
 */
class CodeLeftRunningTest {
    @TempDir
    Path dir;
    ServiceWorld world;

    @BeforeEach
    void open() {
        world = new ServiceWorld(dir);
    }

    @AfterEach
    void close() {
        world.close();
    }

    private InstanceStatus lookAfter(Duration d, Instance i) {
        world.clock.advance(d);
        world.reconciler.reconcile(i.id());
        return world.now(i.id()).status();
    }

    private Instance runningIdle() {
        Instance i = world.running("modelarts.vm.cpu.2u", "idle");
        world.runtime.servers.get(i.id()).health = Health.ready(false, null); // the server shows its kernels idle
        return i;
    }

    @Test
    void codeTheKernelHasNotSaidItIsDoneWithKeepsAnIdleLeaseFromStoppingTheInstanceUntilItHas() {
        Instance i = runningIdle();
        world.activity.executionStarted(i.id(), "k1/m1");
        assertThat(lookAfter(Duration.ofMinutes(61), i)).isEqualTo(InstanceStatus.RUNNING);
        assertThat(lookAfter(Duration.ofMinutes(61), i)).isEqualTo(InstanceStatus.RUNNING);

        world.activity.executionEnded(i.id(), "k1/m1"); // the kernel's idle in answer to it
        assertThat(lookAfter(Duration.ofMinutes(30), i)).isEqualTo(InstanceStatus.RUNNING);
        assertThat(lookAfter(Duration.ofMinutes(31), i)).as("an hour of silence since the code was done")
                .isEqualTo(InstanceStatus.STOPPING);
    }

    @Test
    void codeSentADayAgoThatTheKernelNeverSaidItWasDoneWithNoLongerCounts() {
        Instance i = runningIdle();
        world.activity.executionStarted(i.id(), "k1/m1");
        assertThat(lookAfter(Duration.ofHours(23), i)).isEqualTo(InstanceStatus.RUNNING);
        assertThat(world.activity.executing(i.id())).isTrue();
        world.clock.advance(Duration.ofHours(1).plusMinutes(1));
        assertThat(world.activity.executing(i.id())).isFalse();
        assertThat(lookAfter(Duration.ofMinutes(61), i)).isEqualTo(InstanceStatus.STOPPING);
    }

    @Test
    void executionsAreFollowedEachOnItsOwnAndPerInstance() {
        world.activity.executionStarted("a", "k1/m1");
        world.activity.executionStarted("a", "k2/m2");
        world.activity.executionEnded("a", "k1/m1");
        assertThat(world.activity.executing("a")).as("k2's code still runs").isTrue();
        assertThat(world.activity.executing("b")).isFalse();
        world.activity.executionEnded("a", "k2/m2");
        world.activity.executionEnded("a", "k2/m2"); // said twice: no harm
        assertThat(world.activity.executing("a")).isFalse();
    }
}
