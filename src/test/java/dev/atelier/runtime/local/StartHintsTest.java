package dev.atelier.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.port.InstanceRuntime.Phase;
import dev.atelier.core.service.Catalog;
import dev.atelier.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real jupyter-server, started by the local runtime: while nothing listens on its port, the runtime promises to
 * report the next change, and its reports alone are enough to find the server ready.
 */
class StartHintsTest {

    @Test
    void aStartingServerIsFoundReadyByLookingOnlyWhenTheRuntimeReportsAChange(@TempDir Path dir) throws Exception {
        foundReadyOnReportsAlone(new LocalProcessRuntime(dir, dir.resolve("obs"), Duration.ofSeconds(5)));
    }

    @Test
    void soIsASandboxedOne(@TempDir Path dir) throws Exception {
        LocalProcessRuntime runtime = new LocalProcessRuntime(dir, dir.resolve("obs"), Duration.ofSeconds(5), true,
                false, "outbound");
        Assumptions.assumeTrue("bubblewrap".equals(runtime.capabilities().get("sandbox")),
                "this host cannot sandbox: " + runtime.capabilities().get("isolation_problem"));
        foundReadyOnReportsAlone(runtime);
    }

    private static void foundReadyOnReportsAlone(LocalProcessRuntime started) throws Exception {
        LinkedBlockingQueue<String> reports = new LinkedBlockingQueue<>();
        String id = UUID.randomUUID().toString();
        Map<String, String> state = Map.of();
        try (LocalProcessRuntime runtime = started) {
            runtime.onChange(reports::add);
            try {
                state = launch(runtime, id);
                Health health = runtime.poll(id, "token-" + id, state);
                assertThat(health.phase()).isEqualTo(Phase.STARTING);
                assertThat(health.untilChange()).as("nothing listens yet: wait for a report").isTrue();
                int looks = 1;
                while (health.phase() == Phase.STARTING) {
                    if (health.untilChange()) {
                        // no timed polls: a report that never came would leave the server unfound
                        String reported = reports.poll(30, TimeUnit.SECONDS);
                        assertThat(reported).as("a report while the server starts").isEqualTo(id);
                    } else {
                        Thread.sleep(25); // it listens, and answers soon
                    }
                    health = runtime.poll(id, "token-" + id, state);
                    looks++;
                }
                assertThat(health.phase()).as(String.valueOf(health.reason())).isEqualTo(Phase.READY);
                assertThat(looks).as("looks at the server until it was ready").isLessThan(200);
            } finally {
                runtime.stop(id, state);
                runtime.release(id);
            }
        }
    }

    private static Map<String, String> launch(LocalProcessRuntime runtime, String id) {
        return runtime.launch(new LaunchSpec(id, "token-" + id, Catalog.builtInImages(ServerConfig.DEFAULT_JUPYTER)
                .get(0), Catalog.builtInFlavors().get(0), new Volume("EVS", "MANAGED", 5)), (step, status) -> { })
                .state();
    }

    @Test
    void withoutAListenerAStartingServerAsksToBePolled(@TempDir Path dir) {
        String id = UUID.randomUUID().toString();
        Map<String, String> state = Map.of();
        try (LocalProcessRuntime runtime = new LocalProcessRuntime(dir, dir.resolve("obs"), Duration.ofSeconds(5))) {
            try {
                state = launch(runtime, id);
                Health health = runtime.poll(id, "token-" + id, state);
                assertThat(health.phase()).isEqualTo(Phase.STARTING);
                assertThat(health.untilChange()).isFalse();
            } finally {
                runtime.stop(id, state);
                runtime.release(id);
            }
        }
    }
}
