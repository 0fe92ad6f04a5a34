package dev.atelier.runtime.host;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.core.port.InstanceRuntime.Launch;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.port.InstanceRuntime.Phase;
import dev.atelier.core.port.WarmStarts;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notebook servers started ahead of demand, per image: each is started as for an instance (its own sandbox or
 * container, storage, uid, network and address, built on a fresh id) with a credential of its own and no user
 * data, and becomes exactly one instance: a create {@linkplain #claim claims} it, the instance is recorded under its
 * id, and the runtime's launch {@linkplain #take takes} it. A server is never handed out twice; one that dies or
 * is given up is stopped and removed with everything it had. A claim lapses when no launch took it within
 * {@link Settings#claimTimeout} (an instance waiting in its pool's queue): the server is stopped, and the instance
 * starts as usual when its turn comes.
 *
 * <p>One background thread refills the pool, one server at a time, a pause between starts, while the host has
 * memory to spare; it gives servers up when memory runs short, and keeps only one per image once nobody has
 * created an instance for a while. What is started here lives only in memory: after a restart, what is left of
 * unclaimed servers has no record and is removed as an orphan; a claimed one whose instance was recorded is
 * stopped by that instance's launch, which then starts a server as usual.
 */
public final class WarmPool implements WarmStarts, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration LOOK_EVERY = Duration.ofMillis(50);
    /** What a waiting server is counted as holding of the host's memory (an idle jupyter-server and its sandbox). */
    public static final long MEMORY_MIB = 128;

    /**
     * {@code interval}: the pause between two starts; {@code idleAfter}: how long without a create the pool could
     * serve before only one server per image is kept; {@code minFreeMemory}: the share of the host's memory that must
     * stay available for a server to be started (half of it, and servers are given up); {@code backoff}: the pause
     * after a start failed; {@code claimTimeout}: how long a claimed server waits for its instance's launch;
     * {@code settle}: how long after a claim no server is started (the instance that took one makes its first
     * requests then, and a start's work outside its cgroup, its volume and its network, would compete with them).
     */
    public record Settings(Duration interval, Duration idleAfter, double minFreeMemory, Duration backoff,
                           Duration startTimeout, Duration claimTimeout, Duration settle) {
        public static final Settings DEFAULT = new Settings(Duration.ofMillis(250), Duration.ofMinutes(30), 0.2,
                Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(20), Duration.ofSeconds(2));
    }

    /** A server handed to the launch of the instance that claimed it, and what it was started with. */
    public record Server(String id, String token, Launch launch, Image image, int capacityGb) {
        /** Whether it is what the instance is to run now: a stopped one may have been changed since its create. */
        public boolean fits(LaunchSpec spec) {
            return same(spec.image(), image) && spec.volume().capacityGb() == capacityGb && spec.flavor().gpu() == null
                    && spec.flavor().ascend() == null;
        }
    }

    private enum Stage { STARTING, READY, CLAIMED }

    private static final class Slot {
        final String id;
        final String imageId;
        final String token;
        Launch launch;
        Stage stage = Stage.STARTING;
        long claimedAt;

        Slot(String id, String imageId, String token) {
            this.id = id;
            this.imageId = imageId;
            this.token = token;
        }
    }

    private final WarmServers servers;
    private final Map<String, Image> images = new LinkedHashMap<>();
    private final Map<String, Integer> targets = new LinkedHashMap<>();
    private final Flavor flavor;
    private final int capacityGb;
    private final Settings settings;
    private final java.util.function.DoubleSupplier freeMemory;
    /** By id, in the order they were started. Guarded by this. */
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Map<String, Long> failedUntil = new java.util.HashMap<>();
    /** Servers on their way out. */
    private final WarmRemovals removals;
    private long lastDemand = System.nanoTime();
    private long lastClaim = System.nanoTime() - Duration.ofDays(1).toNanos();
    private final java.util.concurrent.atomic.AtomicLong hits = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong misses = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closed;
    private final Thread refiller;
    /** Lets lapsed claims go every second, whatever the refill is busy with. */
    private final java.util.concurrent.ScheduledExecutorService lapses =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                    .name("warm-pool-claims").unstarted(r));

    /**
     * Keeps {@code targets} servers warm per image, each started under {@code flavor} (the limits it has until an
     * instance takes it) with a volume of {@code capacityGb}: only a create of that capacity, and of a flavor
     * without accelerators, takes one.
     */
    public WarmPool(WarmServers servers, Map<Image, Integer> targets, Flavor flavor, int capacityGb, Settings settings,
                    java.util.function.DoubleSupplier freeMemory) {
        this.servers = servers;
        this.removals = new WarmRemovals(servers);
        targets.forEach((image, count) -> {
            if (count > 0) {
                this.images.put(image.id(), image);
                this.targets.put(image.id(), count);
            }
        });
        this.flavor = flavor;
        this.capacityGb = capacityGb;
        this.settings = settings;
        this.freeMemory = freeMemory;
        this.refiller = Thread.ofPlatform().daemon().name("warm-pool").unstarted(this::refill);
    }

    /** Starts filling the pool in the background. */
    public WarmPool start() {
        if (!targets.isEmpty()) {
            refiller.start();
            lapses.scheduleWithFixedDelay(() -> {
                try {
                    expireClaims();
                } catch (RuntimeException e) {
                    log.warn("warm pool: {}", e.getMessage(), e);
                }
            }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
        return this;
    }

    @Override
    public synchronized Optional<String> claim(Image image, Flavor wanted, Volume volume) {
        if (closed || !targets.containsKey(image.id()) || wanted.gpu() != null || wanted.ascend() != null
                || volume.capacityGb() != capacityGb || !same(image, images.get(image.id()))) {
            return Optional.empty();
        }
        lastDemand = System.nanoTime();
        notifyAll(); // a pool shrunk for want of creates fills again
        for (Slot s : slots.values()) {
            if (s.stage == Stage.READY && s.imageId.equals(image.id())) {
                s.stage = Stage.CLAIMED;
                s.claimedAt = System.nanoTime();
                lastClaim = s.claimedAt;
                hits.incrementAndGet();
                return Optional.of(s.id);
            }
        }
        misses.incrementAndGet();
        return Optional.empty();
    }

    /** The same image as the one the pool started servers of: a re-registered one may run something else. */
    private static boolean same(Image a, Image b) {
        return b != null && java.util.Objects.equals(a.runnable(), b.runnable())
                && java.util.Objects.equals(a.skeleton(), b.skeleton())
                && java.util.Objects.equals(a.swrPath(), b.swrPath());
    }

    @Override
    public synchronized void unclaim(String instanceId) {
        Slot s = slots.get(instanceId);
        if (s != null && s.stage == Stage.CLAIMED) {
            s.stage = Stage.READY;
            notifyAll();
        }
    }

    /** The server claimed for this instance, now its own and no longer the pool's; empty when none was. */
    public synchronized Optional<Server> take(String instanceId) {
        return removeClaimed(instanceId).map(s -> new Server(s.id, s.token, s.launch, images.get(s.imageId),
                capacityGb));
    }

    /** The server claimed under this id, no longer the pool's (one fewer: another may start); empty when none is. */
    private synchronized Optional<Slot> removeClaimed(String instanceId) {
        Slot s = slots.get(instanceId);
        if (s == null || s.stage != Stage.CLAIMED) {
            return Optional.empty();
        }
        slots.remove(instanceId);
        notifyAll();
        return Optional.of(s);
    }

    /** A claim whose create ended without telling whether the instance was recorded: the server is stopped. */
    @Override
    public void giveUp(String instanceId) {
        Optional<Slot> s;
        synchronized (this) {
            s = removeClaimed(instanceId);
            s.ifPresent(slot -> removals.abandoning(slot.id));
        }
        s.ifPresent(this::abandon);
    }

    /** Whether the pool holds a server under this id, or is stopping one: nothing else may start under it now. */
    public synchronized boolean busyWith(String id) {
        return slots.containsKey(id) || removals.busyWith(id);
    }

    /**
     * Lets go of the server claimed for an instance that is removed before it was launched: its launch's state, for
     * the runtime to stop it with; empty when there was none.
     */
    public Optional<Map<String, String>> forget(String instanceId) {
        return removeClaimed(instanceId).map(s -> s.launch.state());
    }

    /** Whether the id is a server of the pool's (it has traces on the host, and no record yet). */
    public synchronized boolean holds(String id) {
        return slots.containsKey(id) || removals.leftOver(id);
    }

    /** Whether the id is a server of the pool's that no create claimed: no instance can have its id. */
    public synchronized boolean holdsUnclaimed(String id) {
        Slot s = slots.get(id);
        return s != null && s.stage != Stage.CLAIMED;
    }

    /** What the pool holds, for the operator: servers ready, starting and claimed, and the targets. */
    public synchronized Map<String, Object> describe() {
        Map<String, Object> d = new LinkedHashMap<>();
        for (Stage stage : Stage.values()) {
            d.put(stage.name().toLowerCase(java.util.Locale.ROOT),
                    slots.values().stream().filter(s -> s.stage == stage).count());
        }
        d.put("targets", Map.copyOf(targets));
        d.put("volume_gb", capacityGb);
        return d;
    }

    /** How many servers the pool holds now: ready ones, or all it has not handed out (ready and starting). */
    public synchronized long count(boolean ready) {
        return slots.values().stream().filter(s -> ready ? s.stage == Stage.READY : s.stage != Stage.CLAIMED).count();
    }

    /** Creates that fit the pool and got a server ({@code hit}), or found none waiting. */
    public long claims(boolean hit) {
        return (hit ? hits : misses).get();
    }

    private void refill() {
        while (!closed) {
            try {
                Image next = nextToStart();
                if (next == null) {
                    removals.retry();
                    giveUpSpare();
                    dropDead();
                    double free = freeMemory.getAsDouble();
                    synchronized (this) {
                        if (!closed && nextToStart(free) == null) {
                            long settling = settle();
                            wait(settling > 0 ? Math.max(1, settling / 1_000_000) : Duration.ofSeconds(5).toMillis());
                        }
                    }
                    continue;
                }
                startOne(next);
                Thread.sleep(settings.interval());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("warm pool: {}", e.getMessage(), e);
            }
        }
    }

    /** How many servers of the image the pool keeps now: one once nobody has created an instance for a while. */
    private int target(String imageId) {
        int target = targets.get(imageId);
        return System.nanoTime() - lastDemand > settings.idleAfter().toNanos() ? Math.min(1, target) : target;
    }

    /** How long, in ns, until the last claim has settled and servers may be started again (0: now). */
    private synchronized long settle() {
        return Math.max(0, settings.settle().toNanos() - (System.nanoTime() - lastClaim));
    }

    /** The image with the most servers missing, while the host has memory for another; null when none is due. */
    private Image nextToStart() {
        return nextToStart(freeMemory.getAsDouble());
    }

    private synchronized Image nextToStart(double free) {
        if (closed || free < settings.minFreeMemory() || settle() > 0) {
            return null;
        }
        String best = null;
        int most = 0;
        for (String imageId : targets.keySet()) {
            Long until = failedUntil.get(imageId);
            if (until != null && System.nanoTime() - until < 0) {
                continue;
            }
            int missing = target(imageId) - (int) slots.values().stream()
                    .filter(s -> s.imageId.equals(imageId) && s.stage != Stage.CLAIMED).count();
            if (missing > most) {
                most = missing;
                best = imageId;
            }
        }
        return best == null ? null : images.get(best);
    }

    private void startOne(Image image) throws InterruptedException {
        String id = UUID.randomUUID().toString();
        byte[] secret = new byte[24];
        RANDOM.nextBytes(secret);
        Slot slot = new Slot(id, image.id(), HexFormat.of().formatHex(secret));
        synchronized (this) {
            slots.put(id, slot);
        }
        LaunchSpec spec = new LaunchSpec(id, slot.token, image, flavor,
                new Volume("EVS", "MANAGED", capacityGb));
        Launch launch = null;
        String failure;
        try {
            launch = servers.start(spec);
            synchronized (this) {
                slot.launch = launch;
            }
            failure = awaitReady(slot, launch);
        } catch (RuntimeException e) {
            failure = e.getMessage();
        }
        if (failure == null) {
            servers.warmUp(id, slot.token, launch);
            synchronized (this) {
                slot.stage = Stage.READY;
                failedUntil.remove(image.id());
            }
            log.debug("warm pool: server {} of image {} is ready", id, image.id());
            return;
        }
        if (!closed) {
            log.warn("warm pool: a server of image {} did not start ({}); trying again in {} s", image.id(), failure,
                    settings.backoff().toSeconds());
        }
        synchronized (this) {
            failedUntil.put(image.id(), System.nanoTime() + settings.backoff().toNanos());
        }
        discard(slot);
    }

    /** Null once the server answers, else why it will not. */
    private String awaitReady(Slot slot, Launch launch) throws InterruptedException {
        long deadline = System.nanoTime() + settings.startTimeout().toNanos();
        while (!closed) {
            Health h = servers.look(slot.id, slot.token, launch.state());
            if (h.phase() == Phase.READY) {
                return null;
            }
            if (h.phase() == Phase.FAILED) {
                return h.reason();
            }
            if (System.nanoTime() - deadline > 0) {
                return "not ready within " + settings.startTimeout().toSeconds() + " s";
            }
            Thread.sleep(LOOK_EVERY);
        }
        return "the pool was closed";
    }

    /** Claims no launch took in time (an instance waiting in a queue): their servers are stopped. */
    private void expireClaims() {
        List<Slot> lapsed = new ArrayList<>();
        synchronized (this) {
            long now = System.nanoTime();
            for (Slot s : slots.values()) {
                if (s.stage == Stage.CLAIMED && now - s.claimedAt > settings.claimTimeout().toNanos()) {
                    lapsed.add(s);
                }
            }
            lapsed.forEach(s -> {
                slots.remove(s.id);
                removals.abandoning(s.id);
            });
        }
        for (Slot s : lapsed) {
            log.info("warm pool: instance {} was not launched within {} s of its create; its server is stopped", s.id,
                    settings.claimTimeout().toSeconds());
            abandon(s);
        }
    }

    /** Gives up unclaimed servers (the oldest first) while memory is short, and those past the target. */
    private void giveUpSpare() {
        while (!closed) {
            Slot spare = null;
            boolean memoryShort = freeMemory.getAsDouble() < settings.minFreeMemory() / 2;
            synchronized (this) {
                for (Slot s : slots.values()) {
                    if (s.stage == Stage.READY && (memoryShort || readyOf(s.imageId) > target(s.imageId))) {
                        spare = s;
                        break;
                    }
                }
                if (spare == null) {
                    return;
                }
                slots.remove(spare.id);
            }
            log.info("warm pool: giving up server {} ({})", spare.id, memoryShort ? "memory is short"
                    : "no creates lately");
            discardStarted(spare);
        }
    }

    private int readyOf(String imageId) {
        return (int) slots.values().stream().filter(s -> s.imageId.equals(imageId) && s.stage == Stage.READY).count();
    }

    /** Servers that stopped answering while they waited are removed; the next round starts others. */
    private void dropDead() {
        List<Slot> ready;
        synchronized (this) {
            ready = slots.values().stream().filter(s -> s.stage == Stage.READY).toList();
        }
        for (Slot s : ready) {
            if (servers.look(s.id, s.token, s.launch.state()).phase() == Phase.FAILED) {
                synchronized (this) {
                    if (s.stage != Stage.READY) {
                        continue; // claimed meanwhile: its launch finds it dead and starts another way
                    }
                    slots.remove(s.id);
                }
                log.warn("warm pool: server {} stopped while it waited; removing it", s.id);
                discardStarted(s);
            }
        }
    }

    private void discard(Slot slot) {
        synchronized (this) {
            slots.remove(slot.id);
        }
        discardStarted(slot);
    }

    private void abandon(Slot slot) {
        removals.abandon(slot.id, slot.launch.state());
    }

    private void discardStarted(Slot slot) {
        removals.discard(slot.id, slot.launch == null ? Map.of() : slot.launch.state());
    }

    /** Stops refilling and removes every server not claimed (claimed ones are their instances'). */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        refiller.interrupt();
        lapses.shutdownNow();
        try {
            refiller.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Slot> spare;
        synchronized (this) {
            spare = slots.values().stream().filter(s -> s.stage != Stage.CLAIMED).toList();
            spare.forEach(s -> slots.remove(s.id));
        }
        spare.forEach(this::discardStarted);
        removals.retry(); // what still fails is marked on the host: the next start's sweep removes it
    }
}
