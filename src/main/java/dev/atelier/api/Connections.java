package dev.atelier.api;

/**
 * How many connections the server holds at once, from the file descriptors this process may open. Every accepted
 * connection is one, a relayed notebook request a second; the rest of the server needs some too (the database,
 * logs, looks at instances' processes and ports, the processes of SSH sessions). A flood of connections that took
 * them all would leave the server unable to tell a healthy notebook server from one that exited; so past these
 * numbers connections wait in the kernel's queue until others close (HTTP), or are closed at once (SSH).
 */
public final class Connections {
    /** Kept for everything but connections. */
    static final long RESERVE = 1024;
    /** SSH sessions of one address that have not signed in yet: an SSH client opens a handful at most. */
    public static final int SSH_UNAUTHENTICATED_PER_ADDRESS = 10;
    /**
     * Connections the kernel holds for the server to accept (the listen backlog; the host's
     * {@code net.core.somaxconn} caps it): those past the limit wait there, rather than having their first
     * packets dropped and resent seconds later.
     */
    public static final int ACCEPT_QUEUE = 1024;

    private Connections() {
    }

    /** HTTP connections at once: a third of the descriptors past the reserve (a relayed request takes two). */
    public static int http() {
        return share(3, 64, 50_000);
    }

    /** SSH sessions at once: an eighth (a session runs processes with pipes of their own). */
    public static int ssh() {
        return share(8, 16, 10_000);
    }

    private static int share(int divisor, int least, int most) {
        long spare = maxDescriptors() - RESERVE;
        return (int) Math.max(least, Math.min(most, spare / divisor));
    }

    /** The most file descriptors this process may hold (its soft limit, which the JVM raises to the hard one). */
    static long maxDescriptors() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            long max = unix.getMaxFileDescriptorCount();
            if (max > 0) {
                return max;
            }
        }
        return 4096;
    }
}
