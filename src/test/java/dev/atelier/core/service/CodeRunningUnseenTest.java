package dev.atelier.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.port.InstanceRuntime.Health;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idle lease and code sent to a kernel whose notebook server missed the kernel saying it was busy: the server
 * shows the kernel idle, but has heard nothing from it since the code was sent, so the code still runs.
 */
class CodeRunningUnseenTest {
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

    /** The server shows kernel k1 idle, last heard from at {@code heardAt} (wall clock). */
    private void serverSays(Instance i, long heardAt) {
        world.runtime.servers.get(i.id()).health = Health.ready(false, null).hearing(Map.of("k1", heardAt));
    }

    private InstanceStatus lookAfter(Duration d, Instance i) {
        world.clock.advance(d);
        world.reconciler.reconcile(i.id());
        return world.now(i.id()).status();
    }

    @Test
    void codeTheServerHasNotHeardOfSinceItWasSentKeepsAnIdleLeaseFromStoppingTheInstance() {
        Instance i = world.running("modelarts.vm.cpu.2u", "idle");
        serverSays(i, world.wall.get() - 5_000);
        world.activity.codeSent(i.id(), "k1");
        world.wall.addAndGet(1_000);
        assertThat(lookAfter(Duration.ofMinutes(61), i)).as("the code still runs, unseen by the server")
                .isEqualTo(InstanceStatus.RUNNING);
        assertThat(lookAfter(Duration.ofMinutes(61), i)).isEqualTo(InstanceStatus.RUNNING);

        serverSays(i, world.wall.addAndGet(180_000)); // the kernel said idle when the code was done
        assertThat(lookAfter(Duration.ofMinutes(30), i)).isEqualTo(InstanceStatus.RUNNING);
        assertThat(lookAfter(Duration.ofMinutes(31), i)).as("an hour of silence since the code was last running")
                .isEqualTo(InstanceStatus.STOPPING);
    }

    @Test
    void codeTheServerHeardOfOrSentToAKernelThatIsGoneOrADayAgoCountsOnlyAsTheUseItWas() {
        Instance heard = world.running("modelarts.vm.cpu.2u", "idle");
        world.activity.codeSent(heard.id(), "k1");
        serverSays(heard, world.wall.addAndGet(10)); // heard from since: its own state (idle) says
        Instance gone = world.running("modelarts.vm.cpu.2u", "idle");
        world.activity.codeSent(gone.id(), "k-gone");
        serverSays(gone, world.wall.get() - 1_000);
        Instance stale = world.running("modelarts.vm.cpu.2u", "idle");
        serverSays(stale, world.wall.get() - 1_000);
        world.activity.codeSent(stale.id(), "k1");
        world.wall.addAndGet(Activity.CODE_RUNS_AT_MOST.toMillis() + 1);

        world.clock.advance(Duration.ofMinutes(61));
        for (Instance i : new Instance[] {heard, gone, stale}) {
            world.reconciler.reconcile(i.id());
            assertThat(world.now(i.id()).status()).as(i.id()).isEqualTo(InstanceStatus.STOPPING);
        }
    }

    @Test
    void aServerThatDoesNotSayWhenItHeardFromItsKernelsConcludesNothingAndForgetsNothing() {
        Instance i = world.running("modelarts.vm.cpu.2u", "idle");
        world.activity.codeSent(i.id(), "k1");
        assertThat(world.activity.codeRunningUnseen(i.id(), null)).isFalse();
        assertThat(world.activity.codeRunningUnseen(i.id(), Map.of("k1", world.wall.get() - 1))).isTrue();
    }
}
