package dev.atelier.runtime.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One network for all instances only where the engine's rule between its containers is enforced. */
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
}
