package dev.atelier.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Notebook servers' ports: never from the kernel's ephemeral range, not handed out twice in a row, never busy. */
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
    void eachPortIsHandedOutOnceUntilTheRangeIsUsedUpAndBusyOnesAreSkipped() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int taken = busy.getLocalPort();
            int low = Math.max(1024, taken - 20);
            Ports ports = new Ports(low, low + 40);
            Set<Integer> handedOut = new HashSet<>();
            for (int i = 0; i < 40; i++) { // 41 ports, one of them busy
                int port = ports.take();
                assertThat(handedOut.add(port)).as("port %d handed out twice", port).isTrue();
            }
            assertThat(handedOut).doesNotContain(taken).hasSize(40);
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
