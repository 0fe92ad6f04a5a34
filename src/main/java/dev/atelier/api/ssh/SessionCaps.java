package dev.atelier.api.ssh;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds on SSH sessions, so that connections nobody signs in on cannot take every file descriptor of the server:
 * at most {@code total} sessions at once, and at most {@code perAddress} from one address that have not signed in
 * yet. A session past either is closed as soon as it is made.
 */
final class SessionCaps implements SessionListener {
    private static final Logger log = LoggerFactory.getLogger(SessionCaps.class);
    /** Set on a session while it counts against its address. */
    private static final AttributeRepository.AttributeKey<String> WAITING = new AttributeRepository.AttributeKey<>();

    private final int total;
    private final int perAddress;
    private final AtomicInteger open = new AtomicInteger();
    /** Sessions not signed in yet, by {@link #source}. */
    private final ConcurrentHashMap<String, Integer> waiting = new ConcurrentHashMap<>();
    /** Sessions closed since the last line about them, and when that was: one line a minute at most. */
    private final AtomicInteger refusedSinceLog = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong lastLog = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - LOG_EVERY_NANOS);
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    SessionCaps(int total, int perAddress) {
        this.total = total;
        this.perAddress = perAddress;
    }

    @Override
    public void sessionCreated(Session session) {
        int now = open.incrementAndGet();
        String address = source(session.getIoSession().getRemoteAddress());
        boolean tooMany = now > total;
        if (!tooMany && address != null) {
            int n = waiting.merge(address, 1, Integer::sum); // counted and read in one step
            session.setAttribute(WAITING, address);
            tooMany = n > perAddress;
        }
        if (tooMany) {
            int refused = refusedSinceLog.incrementAndGet();
            long last = lastLog.get();
            long at = System.nanoTime();
            if (at - last >= LOG_EVERY_NANOS && lastLog.compareAndSet(last, at)) {
                refusedSinceLog.addAndGet(-refused);
                log.warn("ssh: closed {} new session(s) in the last minute: too many open ({} now, at most {}; at "
                        + "most {} from one address before signing in, latest {})", refused, now, total, perAddress,
                        address);
            }
            session.close(true);
        }
    }

    @Override
    public void sessionEvent(Session session, Event event) {
        if (event == Event.Authenticated) {
            release(session);
        }
    }

    @Override
    public void sessionClosed(Session session) {
        release(session);
        open.decrementAndGet();
    }

    /** The session no longer counts against its address (signed in, or gone). */
    private void release(Session session) {
        String address = session.removeAttribute(WAITING);
        if (address != null) {
            waiting.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Sessions open now, counted as they are made and closed. */
    int open() {
        return open.get();
    }

    /**
     * Where a session comes from, as far as the bound goes: an IPv4 address, or an IPv6 address's /64, which one
     * client holds whole and could otherwise spread its sessions over.
     */
    static String source(SocketAddress a) {
        if (!(a instanceof InetSocketAddress i) || i.getAddress() == null) {
            return null;
        }
        InetAddress address = i.getAddress();
        if (address instanceof java.net.Inet6Address) {
            byte[] b = address.getAddress();
            return "v6:" + java.util.HexFormat.of().formatHex(b, 0, 8);
        }
        return address.getHostAddress();
    }
}
