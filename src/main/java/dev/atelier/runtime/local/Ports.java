package dev.atelier.runtime.local;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for notebook servers on 127.0.0.1, taken in turn from a range just below the kernel's ephemeral ports.
 *
 * <p>A port the kernel picked (bind to port 0) and released again is soon handed out again: to the next outgoing
 * connection, for one, and Atelier itself makes hundreds a second while it polls starting servers. A notebook server
 * needs seconds to start before it binds its port; ten starting at once lost it that way (the bench caught it:
 * "port ... is not available"). Outside the ephemeral range no connection takes a port, and going round the range
 * in turn means a port handed out is not handed out again until all the others have been.
 */
final class Ports {
    private static final Path EPHEMERAL = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int SPAN = 10_000;
    private final int low;
    private final int high;
    private int next;

    Ports(int low, int high) {
        if (low < 1024 || high < low || high > 65535) {
            throw new IllegalArgumentException("not a range of unprivileged ports: " + low + "-" + high);
        }
        this.low = low;
        this.high = high;
        this.next = low + ThreadLocalRandom.current().nextInt(high - low + 1);
    }

    /** The {@value #SPAN} ports below the ephemeral range (or, where that starts too low, the ones above it). */
    static Ports belowEphemeral() {
        int ephemeralLow = 32768;
        int ephemeralHigh = 60999;
        try {
            String[] range = Files.readAllLines(EPHEMERAL).get(0).trim().split("\\s+");
            ephemeralLow = Integer.parseInt(range[0]);
            ephemeralHigh = Integer.parseInt(range[1]);
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the kernel's usual range
        }
        if (ephemeralLow - SPAN >= 1024) {
            return new Ports(ephemeralLow - SPAN, ephemeralLow - 1);
        }
        return new Ports(Math.min(ephemeralHigh + 1, 65535 - SPAN), Math.min(ephemeralHigh + SPAN, 65535));
    }

    int low() {
        return low;
    }

    int high() {
        return high;
    }

    /** The next port in turn that nothing listens on. */
    synchronized int take() {
        for (int tried = 0; tried <= high - low; tried++) {
            int port = next;
            next = port == high ? low : port + 1;
            if (free(port)) {
                return port;
            }
        }
        throw new RuntimeFailure("no free port on 127.0.0.1 between " + low + " and " + high);
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
