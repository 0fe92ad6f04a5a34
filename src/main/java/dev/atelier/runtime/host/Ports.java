package dev.atelier.runtime.host;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Ports for notebook servers on 127.0.0.1, taken at random from a range just below the kernel's ephemeral ports.
 *
 * <p>A port the kernel picked (bind to port 0) and released again is soon handed out again: to the next outgoing
 * connection, for one, and Atelier itself makes hundreds a second while it polls starting servers. A notebook server
 * needs seconds to start before it binds its port; ten starting at once lost it that way (the bench caught it:
 * "port ... is not available"). Outside the ephemeral range no connection takes a port, and the last
 * {@value #REMEMBERED} ports handed out are not handed out again. At random, not in turn: the port an instance
 * will get next must not be guessable by another instance on the same loopback, which could listen there first.
 */
public final class Ports {
    private static final Path EPHEMERAL = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int SPAN = 10_000;
    private static final int REMEMBERED = 1_000;
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    private final int low;
    private final int high;
    private final java.util.LinkedHashSet<Integer> handedOut = new java.util.LinkedHashSet<>();

    Ports(int low, int high) {
        if (low < 1024 || high < low || high > 65535) {
            throw new IllegalArgumentException("not a range of unprivileged ports: " + low + "-" + high);
        }
        this.low = low;
        this.high = high;
    }

    /**
     * The {@value #SPAN} ports below the ephemeral range; where it starts too low, the ones above it; where neither
     * has room, the unprivileged ports below it, however few.
     */
    public static Ports belowEphemeral() {
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
        if (65535 - ephemeralHigh >= SPAN) {
            return new Ports(ephemeralHigh + 1, ephemeralHigh + SPAN);
        }
        if (65535 - ephemeralHigh >= ephemeralLow - 1024 && ephemeralHigh < 65535) {
            return new Ports(ephemeralHigh + 1, 65535);
        }
        if (ephemeralLow > 1024) {
            return new Ports(1024, ephemeralLow - 1);
        }
        throw new IllegalStateException("the kernel's ephemeral ports (" + ephemeralLow + "-" + ephemeralHigh
                + ") leave no other unprivileged port for notebook servers");
    }

    /** A port at random that nothing listens on and that was not handed out lately. */
    public synchronized int take() {
        int size = high - low + 1;
        for (int tried = 0; tried < Math.min(size, 64); tried++) {
            int port = low + RANDOM.nextInt(size);
            if (!handedOut.contains(port) && free(port)) {
                remember(port);
                return port;
            }
        }
        // a crowded range: every port in turn from a random one, those not handed out lately first
        for (boolean recentToo : new boolean[] {false, true}) {
            int start = RANDOM.nextInt(size);
            for (int i = 0; i < size; i++) {
                int port = low + (start + i) % size;
                if ((recentToo || !handedOut.contains(port)) && free(port)) {
                    remember(port);
                    return port;
                }
            }
        }
        throw new RuntimeFailure("no free port on 127.0.0.1 between " + low + " and " + high);
    }

    private void remember(int port) {
        handedOut.remove(port);
        handedOut.add(port);
        if (handedOut.size() > Math.min(REMEMBERED, (high - low + 1) / 2)) {
            handedOut.remove(handedOut.iterator().next());
        }
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
