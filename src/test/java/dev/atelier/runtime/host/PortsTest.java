package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Notebook servers' ports: outside the ephemeral range, not guessable, not handed out again soon, never busy. */
class PortsTest {

    @Test
    void portsComeFromOutsideTheKernelsEphemeralRange() throws Exception {
        String[] range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+");
        int ephemeralLow = Integer.parseInt(range[0]);
        int ephemeralHigh = Integer.parseInt(range[1]);
        Ports ports = Ports.belowEphemeral();
        for (int i = 0; i < 50; i++) {
            int port = ports.take();
            assertThat(port).isBetween(1024, 65535).satisfiesAnyOf(p -> assertThat(p).isLessThan(ephemeralLow),
                    p -> assertThat(p).isGreaterThan(ephemeralHigh));
        }
    }

    @Test
    void portsAreNotHandedOutAgainSoonNorInTurnAndBusyOnesAreSkipped() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int taken = busy.getLocalPort();
            int low = Math.max(1024, taken - 100);
            Ports ports = new Ports(low, low + 200);
            List<Integer> handedOut = new ArrayList<>();
            for (int i = 0; i < 100; i++) { // the last 100 (half of this range) are remembered
                handedOut.add(ports.take());
            }
            assertThat(new HashSet<>(handedOut)).as("handed out twice").hasSize(100).doesNotContain(taken);
            // another instance on the same loopback must not be able to tell the next port from the last one
            long inTurn = java.util.stream.IntStream.range(1, handedOut.size())
                    .filter(i -> handedOut.get(i) == handedOut.get(i - 1) + 1).count();
            assertThat(inTurn).isLessThan(10);
        }
    }

    @Test
    void aFullRangeStillFindsItsOneFreePort() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = busy.getLocalPort();
            Ports ports = new Ports(port, port + 1);
            try (ServerSocket other = new ServerSocket(port + 1, 1, InetAddress.getLoopbackAddress())) {
                assertThatThrownBy(ports::take).isInstanceOf(RuntimeFailure.class);
            } catch (java.net.BindException portPlusOneInUse) {
                return; // nothing to learn on this host
            }
            assertThat(ports.take()).isEqualTo(port + 1);
            assertThat(ports.take()).as("handed out lately, but the only free one").isEqualTo(port + 1);
        }
    }

    @Test
    void aRangeWithEveryPortBusyIsARuntimeFailure() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Ports ports = new Ports(busy.getLocalPort(), busy.getLocalPort());
            assertThatThrownBy(ports::take).isInstanceOf(RuntimeFailure.class).hasMessageContaining("no free port");
        }
    }
}
