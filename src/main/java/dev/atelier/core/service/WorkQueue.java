package dev.atelier.core.service;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A queue of keys to reconcile, in the manner of a Kubernetes controller's work queue: a key is queued at
 * most once, is never processed by two workers at once, and a key added while it is being processed is
 * processed again afterwards. Delayed adds for one key collapse into the earliest.
 */
final class WorkQueue {
    private final Set<String> queued = new LinkedHashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, ScheduledFuture<?>> delayed = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "work-queue-timer");
        t.setDaemon(true);
        return t;
    });
    private boolean shutdown;

    synchronized void add(String key) {
        if (shutdown) {
            return;
        }
        if (processing.contains(key)) {
            dirty.add(key);
        } else if (queued.add(key)) {
            notifyAll();
        }
    }

    synchronized void addAfter(String key, long delayMillis) {
        if (shutdown) {
            return;
        }
        ScheduledFuture<?> pending = delayed.get(key);
        if (pending != null && !pending.isDone() && pending.getDelay(TimeUnit.MILLISECONDS) <= delayMillis) {
            return;
        }
        if (pending != null) {
            pending.cancel(false);
        }
        delayed.put(key, timer.schedule(() -> {
            synchronized (this) {
                delayed.remove(key);
            }
            add(key);
        }, delayMillis, TimeUnit.MILLISECONDS));
    }

    /** Blocks until a key is available; returns null once the queue is shut down. */
    synchronized String take() throws InterruptedException {
        while (queued.isEmpty() && !shutdown) {
            wait();
        }
        if (shutdown) {
            return null;
        }
        String key = queued.iterator().next();
        queued.remove(key);
        processing.add(key);
        return key;
    }

    /** How many keys are due and wait for a worker (not those delayed, nor those being processed). */
    synchronized int due() {
        return queued.size();
    }

    synchronized void done(String key) {
        processing.remove(key);
        if (dirty.remove(key)) {
            add(key);
        }
    }

    synchronized void shutdown() {
        shutdown = true;
        timer.shutdownNow();
        notifyAll();
    }
}
