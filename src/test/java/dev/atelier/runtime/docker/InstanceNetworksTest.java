package dev.atelier.runtime.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.runtime.docker.InstanceNetworks.Mode;
import dev.atelier.support.TestRuntime;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instances share a bridge only where the engine's rule against traffic between its containers is enforced. */
class InstanceNetworksTest {
    @TempDir
    Path dir;

    @Test
    void instancesShareANetworkOnlyWithALocalEngineAndBridgeNetfilterOn() throws Exception {
        Path on = Files.writeString(dir.resolve("on"), "1\n");
        Path off = Files.writeString(dir.resolve("off"), "0\n");
        assertThat(InstanceNetworks.sharingIsolates("unix:///var/run/docker.sock", on)).isTrue();
        assertThat(InstanceNetworks.sharingIsolates("unix:///var/run/docker.sock", off)).isFalse();
        assertThat(InstanceNetworks.sharingIsolates("unix:///var/run/docker.sock", dir.resolve("absent")))
                .as("no bridge netfilter module").isFalse();
        assertThat(InstanceNetworks.sharingIsolates("tcp://10.0.0.5:2375", on)).as("another host's bridges")
                .isFalse();
    }

    @Test
    void whereBridgesAreNotFilteredAutoGivesEachInstanceItsOwnNetworkAndSharingIsRefused() {
        // decided without asking the engine (there is none here)
        assertThat(new InstanceNetworks(null, Mode.AUTO, false).mode()).isEqualTo(Mode.PER_INSTANCE);
        assertThat(new InstanceNetworks(null, Mode.PER_INSTANCE, true).mode()).isEqualTo(Mode.PER_INSTANCE);
        for (Mode sharing : new Mode[] {Mode.BRIDGE, Mode.SHARED}) {
            assertThatThrownBy(() -> new InstanceNetworks(null, sharing, false).mode())
                    .isInstanceOf(RuntimeFailure.class).hasMessageContaining("would not keep instances apart")
                    .hasMessageContaining("bridge netfilter");
        }
        assertThat(Mode.of("per-instance")).isEqualTo(Mode.PER_INSTANCE);
        assertThatThrownBy(() -> Mode.of("host")).hasMessageContaining("auto, bridge, shared or per-instance");
    }

    @Test
    void autoTakesTheDefaultBridgeExactlyWhereTheEngineDropsTrafficBetweenItsContainers() throws Exception {
        TestRuntime.DOCKER.assumeAvailable();
        DockerEngine engine = DockerEngine.connect("unix:///var/run/docker.sock", dir, null, null, null);
        try {
            boolean drops = "false".equals(TestRuntime.docker().inspectNetworkCmd().withNetworkId("bridge").exec()
                    .getOptions().get("com.docker.network.bridge.enable_icc"));
            InstanceNetworks auto = new InstanceNetworks(engine, Mode.AUTO, true);
            assertThat(auto.mode()).isEqualTo(drops ? Mode.BRIDGE : Mode.SHARED);
            assertThat(new InstanceNetworks(engine, Mode.SHARED, true).mode()).isEqualTo(Mode.SHARED);
            if (drops) {
                assertThat(auto.ensure("7f1d1f2e-0000-4000-8000-000000000000")).isEqualTo("bridge");
                assertThat(auto.describe()).contains("default bridge").contains("--icc=false");
            } else {
                assertThatThrownBy(() -> new InstanceNetworks(engine, Mode.BRIDGE, true).mode())
                        .isInstanceOf(RuntimeFailure.class).hasMessageContaining("dockerd with --icc=false");
            }
        } finally {
            engine.client().close();
        }
    }
}
