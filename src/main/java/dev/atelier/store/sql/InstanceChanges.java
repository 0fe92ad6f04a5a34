package dev.atelier.store.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feed of instance changes: the {@code instance_changes} table, which triggers fill on every write that changes
 * what a view of an instance shows, whoever makes it (this server, another replica, an offline command). Listeners
 * hear each changed instance id once. The stores call {@link #afterWrite()} after each write they commit, so this
 * server's own writes are heard before the write returns; {@link #start} also reads the feed every interval for
 * the writes of others.
 *
 * <p>Sequence numbers are handed out when a row is written but become visible when its transaction commits, so
 * on PostgreSQL a lower number can appear after a higher one was read. A missing number below a seen one is a
 * gap: the feed reads again from the gap, skipping what it passed on, until the number shows up or
 * {@link #WINDOW_NANOS} have passed (a rolled-back transaction leaves a gap for good). Without gaps each read
 * returns only new rows. A server starts from number 0, so what was pruned before it started is such a gap too,
 * and a transaction that was still open then is waited for like any other.
 */
public final class InstanceChanges implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InstanceChanges.class);
    /** How long a gap in the sequence is waited for: a transaction that committed out of sequence order. */
    static final long WINDOW_NANOS = 5_000_000_000L;
    /** Rows older than this (and already read here) are deleted. */
    static final long KEEP_MS = 10 * 60_000L;
    private static final long PRUNE_EVERY_NANOS = 60_000_000_000L;

    /** Hears changed instances. */
    public interface Listener {
        /** The instance's record, tags, mounts or SSH endpoint changed (or it was deleted). */
        void changed(String instanceId);

        /** Changes may have been missed (the feed could not be read): forget everything. */
        void lost();
    }

    private final Jdbi jdbi;
    private final LongSupplier nanos;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Every sequence number up to this one has been passed on (or given up on), and will not be read again. */
    private long floor;
    /** Numbers above the floor already passed on: non-empty only while there is a gap below them. */
    private final TreeSet<Long> passed = new TreeSet<>();
    /** The gap the floor waits at, and since when. */
    private long gapAt = -1;
    private long gapSince;
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private final boolean sqlite;
    private volatile long caughtUpAt = Long.MIN_VALUE;
    private volatile boolean caughtUpOnce;
    private Thread poller;
    private volatile boolean closed;

    InstanceChanges(Jdbi jdbi, boolean sqlite, LongSupplier nanos) {
        this.jdbi = jdbi;
        this.sqlite = sqlite;
        this.nanos = nanos;
    }

    public void listen(Listener listener) {
        listeners.add(listener);
    }

    /**
     * Whether the feed was read successfully within {@code maxAgeNanos}: if not, changes made elsewhere may not
     * have been heard, and a cache fed by it must not be trusted.
     */
    public boolean current(long maxAgeNanos) {
        return caughtUpOnce && nanos.getAsLong() - caughtUpAt <= maxAgeNanos;
    }

    /**
     * After a write this server committed: hears it (and whatever else is new) now. Never throws: the write is
     * done; if the feed cannot be read, the listeners are told changes were lost.
     */
    public void afterWrite() {
        try {
            catchUp();
        } catch (RuntimeException e) {
            log.debug("cannot read the instance change feed after a write", e);
        }
    }

    /** Reads the rows not passed on yet and tells the listeners; on failure tells them changes were lost. */
    public void catchUp() {
        if (listeners.isEmpty() || closed) {
            return;
        }
        // a lock, not synchronized: callers are virtual threads, and this waits for the database
        lock.lock();
        try {
            long now = nanos.getAsLong();
            List<Long> seqs = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            jdbi.useHandle(h -> h.createQuery("SELECT seq, instance_id FROM instance_changes WHERE seq > :floor "
                    + "ORDER BY seq").bind("floor", floor).map((rs, ctx) -> {
                        seqs.add(rs.getLong(1));
                        ids.add(rs.getString(2));
                        return null;
                    }).forEach(x -> { }));
            for (int i = 0; i < seqs.size(); i++) {
                if (passed.add(seqs.get(i))) {
                    for (Listener l : listeners) {
                        l.changed(ids.get(i));
                    }
                }
            }
            advance(now);
            caughtUpAt = now;
            caughtUpOnce = true;
        } catch (RuntimeException e) {
            caughtUpOnce = false;
            for (Listener l : listeners) {
                l.lost();
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Deletes the rows read here that are older than {@link #KEEP_MS} by the database's clock (replicas' clocks
     * may differ from it). Another replica that has not read them for that long is not current anyway.
     */
    void prune() {
        long f = floor();
        String now = sqlite ? "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
                : "(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT";
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM instance_changes WHERE seq <= :floor AND changed_at < "
                + now + " - :keep").bind("floor", f).bind("keep", KEEP_MS).execute());
    }

    /**
     * Moves the floor over the numbers passed on without a gap. A gap (a number not seen below one that was) is
     * a transaction not committed yet, or one rolled back: it is waited for {@link #WINDOW_NANOS}, reading
     * again from it meanwhile, then passed over.
     */
    private void advance(long now) {
        while (!passed.isEmpty()) {
            if (passed.remove(floor + 1)) {
                floor++;
            } else if (gapAt != floor + 1) {
                gapAt = floor + 1;
                gapSince = now;
                return;
            } else if (now - gapSince > WINDOW_NANOS) {
                floor = passed.first() - 1;
            } else {
                return;
            }
        }
    }

    /** The highest number up to which every one was passed on. */
    long floor() {
        lock.lock();
        try {
            return floor;
        } finally {
            lock.unlock();
        }
    }

    /** Reads the feed every {@code intervalMillis} on a thread of its own, until {@link #close()}. */
    public void start(long intervalMillis) {
        lock.lock();
        try {
            startPoller(intervalMillis);
        } finally {
            lock.unlock();
        }
    }

    private void startPoller(long intervalMillis) {
        if (poller != null) {
            return;
        }
        poller = Thread.ofPlatform().daemon().name("instance-changes").start(() -> {
            boolean failing = false;
            long prunedAt = nanos.getAsLong();
            while (!closed) {
                if (nanos.getAsLong() - prunedAt > PRUNE_EVERY_NANOS) {
                    prunedAt = nanos.getAsLong();
                    try {
                        prune();
                    } catch (RuntimeException e) {
                        log.debug("cannot prune the instance change feed", e);
                    }
                }
                try {
                    catchUp();
                    if (failing) {
                        log.info("the instance change feed is readable again");
                    }
                    failing = false;
                } catch (RuntimeException e) {
                    if (!failing) {
                        log.warn("cannot read the instance change feed; instance reads go to the store until it "
                                + "can be read again: {}", e.toString());
                    }
                    failing = true;
                }
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        lock.lock();
        try {
            t = poller;
        } finally {
            lock.unlock();
        }
        if (t != null) {
            t.interrupt();
        }
    }
}
