package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.port.WarmStarts;
import dev.atelier.core.service.Catalog;
import dev.atelier.support.InMemoryRuntime;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runtime that takes warm servers, over one whose servers live in memory: it takes a claimed server only when
 * it fits, and starts nothing under an id whose server another replica holds.
 */
class WarmRuntimeTest {
    private static final Image IMAGE = Catalog.builtInImages("/usr/bin/jupyter-server").get(0);
    private static final Flavor CPU = new Catalog(Catalog.builtInFlavors()).flavor("modelarts.vm.cpu.2u").orElseThrow();
    private static final Volume FIVE = new Volume("EVS", "MANAGED", 5);

    @TempDir
    Path marksDir;
    private final InMemoryRuntime engine = new InMemoryRuntime();
    private final List<String> limited = new java.util.concurrent.CopyOnWriteArrayList<>();
    private WarmRuntime warm;

    private WarmRuntime runtime() {
        warm = new WarmRuntime(engine, new WarmRuntime.Engine() {
            @Override
            public void cpuPriority(String id, Map<String, String> state, boolean lowest) {
            }

            @Override
            public void limit(String id, Map<String, String> state, Flavor flavor) {
                limited.add(id + " " + flavor.id());
            }
        }, marksDir);
        return warm;
    }

    @AfterEach
    void close() {
        if (warm != null) {
            warm.close();
        }
    }

    /** A warm runtime with one server waiting; its id. */
    private String oneWaiting() {
        runtime().keep(Map.of(IMAGE, 1), CPU, 5, WarmPool.Settings.DEFAULT);
        await().until(() -> engine.servers.size() == 1);
        String id = engine.servers.keySet().iterator().next();
        engine.ready(id);
        WarmStarts pool = warm.capability(WarmStarts.class).orElseThrow();
        await().until(() -> ((WarmPool) pool).count(true) == 1);
        assertThat(warm.instancesOnHost()).as("no orphan").doesNotContain(id);
        assertThat(pool.claim(IMAGE, CPU, FIVE)).contains(id);
        return id;
    }

    @Test
    void aLaunchTakesTheServerClaimedForItUnderTheFlavorsLimits() {
        String id = oneWaiting();
        var launch = warm.launch(new LaunchSpec(id, "instance-token", IMAGE, CPU, FIVE), (step, status) -> { });
        assertThat(engine.calls).containsExactly("launch " + id);
        assertThat(limited).containsExactly(id + " " + CPU.id());
        assertThat(launch.state()).containsKey(dev.atelier.core.model.Instance.SERVER_TOKEN);
        assertThat(launch.state().get(dev.atelier.core.model.Instance.SERVER_TOKEN)).isNotEqualTo("instance-token");
    }

    @Test
    void aReadyServerHasItsFirstPageRenderedBeforeAnyoneClaimsIt() throws Exception {
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        var http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", exchange -> {
            asked.add(exchange.getRequestURI().getPath() + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        http.start();
        try {
            engine.url = "http://127.0.0.1:" + http.getAddress().getPort();
            String id = oneWaiting();
            assertThat(asked).hasSize(1);
            assertThat(asked.get(0)).startsWith("/notebook/" + id + "/tree token ");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void aClaimedServerThatNoLongerFitsIsStoppedAndTheInstanceStartsAsUsual() {
        String id = oneWaiting();
        // the instance was stopped before its launch and its volume grown meanwhile
        var launch = warm.launch(new LaunchSpec(id, "instance-token", IMAGE, CPU, new Volume("EVS", "MANAGED", 6)),
                (step, status) -> { });
        assertThat(engine.calls).containsExactly("launch " + id, "stop " + id, "launch " + id);
        assertThat(limited).isEmpty();
        assertThat(launch.state()).doesNotContainKey(dev.atelier.core.model.Instance.SERVER_TOKEN);
    }

    @Test
    void nothingStartsUnderAnIdWhoseServerAnotherLiveReplicaHolds() throws Exception {
        WarmRuntime runtime = runtime();
        String id = WarmMarksTest.ID;
        engine.servers.put(id, new InMemoryRuntime.Server()); // what the other replica's server shows on the engine
        Process other = new ProcessBuilder("sleep", "30").start();
        try {
            WarmMarksTest.markAs(marksDir, other.pid());
            assertThat(runtime.instancesOnHost()).as("not an orphan").doesNotContain(id);
            assertThatThrownBy(() -> runtime.launch(new LaunchSpec(id, "t", IMAGE, CPU, FIVE), (step, status) -> { }))
                    .isInstanceOf(InstanceRuntime.NotYet.class);
            assertThat(engine.calls).isEmpty();
        } finally {
            other.destroyForcibly().waitFor();
        }
        // that replica is gone: what it left is an orphan, and the instance starts
        assertThat(runtime.instancesOnHost()).contains(id);
        runtime.launch(new LaunchSpec(id, "t", IMAGE, CPU, FIVE), (step, status) -> { });
        assertThat(engine.calls).containsExactly("launch " + id);
    }
}
