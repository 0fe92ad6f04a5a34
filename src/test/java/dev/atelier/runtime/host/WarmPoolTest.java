package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.core.port.InstanceRuntime.Launch;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.service.Catalog;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pool's bookkeeping, over servers that live in memory: a server is handed out once, only when ready and only
 * to a create it fits; given back when the create is refused; replaced when it dies or fails; given up when memory
 * runs short; and what is not claimed is removed when the pool closes.
 */
class WarmPoolTest {
    private static final Image IMAGE = Catalog.builtInImages("/usr/bin/jupyter-server").get(0);
    private static final Flavor CPU = new Catalog(Catalog.builtInFlavors()).flavor("modelarts.vm.cpu.2u").orElseThrow();
    private static final Volume FIVE = new Volume("EVS", "MANAGED", 5);
    private static final WarmPool.Settings FAST = new WarmPool.Settings(Duration.ZERO, Duration.ofMinutes(30), 0.2,
            Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(2), Duration.ZERO);

    /** Servers by id: true once ready. */
    private final Map<String, Boolean> running = new ConcurrentHashMap<>();
    private final Set<String> discarded = ConcurrentHashMap.newKeySet();
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final Set<String> abandoned = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Double> freeMemory = new AtomicReference<>(0.9);
    private volatile boolean startsFail;
    private volatile boolean removalsFail;
    private WarmPool pool;

    private final WarmServers servers = new WarmServers() {
        @Override
        public Launch start(LaunchSpec spec) {
            if (startsFail) {
                throw new dev.atelier.core.port.InstanceRuntime.RuntimeFailure("no jupyter-server here");
            }
            running.put(spec.instanceId(), true);
            return new Launch(Map.of("token", spec.token()), "http://127.0.0.1/notebook/" + spec.instanceId() + "/");
        }

        @Override
        public Health look(String id, String token, Map<String, String> state) {
            return failing.contains(id) ? Health.failed("exited") : Health.ready(false, null);
        }

        @Override
        public void discard(String id, Map<String, String> state) {
            if (removalsFail) {
                throw new dev.atelier.core.port.InstanceRuntime.RuntimeFailure("Too many open files");
            }
            running.remove(id);
            discarded.add(id);
        }

        @Override
        public void abandon(String id, Map<String, String> state) {
            running.remove(id);
            abandoned.add(id);
        }
    };

    private WarmPool pool(int target) {
        return pool(target, FAST);
    }

    private WarmPool pool(int target, WarmPool.Settings settings) {
        pool = new WarmPool(servers, Map.of(IMAGE, target), CPU, 5, settings, freeMemory::get).start();
        return pool;
    }

    @AfterEach
    void close() {
        if (pool != null) {
            pool.close();
        }
    }

    @Test
    void eachServerIsHandedOutOnceAndOnlyToACreateItFits() {
        pool(2);
        await().until(() -> pool.count(true) == 2);
        Flavor gpu = new Flavor("gpu", "GPU", "GPU", CPU.arch(), "", CPU.feature(), false, 8, 32768, CPU.storages(),
                CPU.evsMaxSizeGb(), new Flavor.Gpu(1, "16GB", "V100"), null, false, CPU.maxProcesses(), null);
        assertThat(pool.claim(IMAGE, gpu, FIVE)).as("a GPU flavor needs devices bound at start").isEmpty();
        assertThat(pool.claim(IMAGE, CPU, new Volume("EVS", "MANAGED", 50))).as("another capacity").isEmpty();

        String one = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        String two = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        assertThat(one).isNotEqualTo(two);
        assertThat(pool.take(one).orElseThrow().launch().url()).contains(one);
        assertThat(pool.take(one)).as("taken already").isEmpty();
        assertThat(pool.holds(one)).as("the instance's now, not the pool's").isFalse();
        assertThat(pool.holds(two)).as("claimed, not yet taken").isTrue();
        // the pool starts others in their place, never handing these out again
        await().until(() -> pool.count(true) == 2);
        assertThat(pool.claim(IMAGE, CPU, FIVE).orElseThrow()).isNotIn(one, two);
    }

    @Test
    void noServerIsStartedWhileAClaimSettles() throws Exception {
        pool(1, new WarmPool.Settings(Duration.ZERO, Duration.ofMinutes(30), 0.2, Duration.ofMillis(200),
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(2)));
        await().until(() -> pool.count(true) == 1);
        long claimed = System.nanoTime();
        pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        Thread.sleep(1_000);
        assertThat(pool.count(false)).as("a second after the claim").isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.count(true) == 1);
        assertThat(System.nanoTime() - claimed).isGreaterThanOrEqualTo(Duration.ofSeconds(2).toNanos());
    }

    @Test
    void aRefusedCreateGivesItsServerBack() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String id = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        assertThat(pool.holdsUnclaimed(id)).isFalse();
        pool.unclaim(id);
        assertThat(pool.holdsUnclaimed(id)).isTrue();
        assertThat(pool.take(id)).as("an unclaimed server is nobody's to take").isEmpty();
        // the oldest waiting server is handed out first (the pool may have started another meanwhile)
        assertThat(pool.claim(IMAGE, CPU, FIVE)).contains(id);
    }

    @Test
    void aClaimNoLaunchTakesLapsesAndItsServerIsStoppedButNotRemoved() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String id = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        await().atMost(Duration.ofSeconds(15)).until(() -> abandoned.contains(id));
        assertThat(discarded).as("its files may be its instance's").doesNotContain(id);
        assertThat(pool.take(id)).isEmpty();
        await().until(() -> pool.count(true) == 1);
    }

    @Test
    void aCreateWhoseOutcomeIsUnknownNeverHandsItsServerOutAgain() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String id = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        pool.giveUp(id);
        assertThat(abandoned).containsExactly(id);
        assertThat(pool.take(id)).isEmpty();
        await().until(() -> pool.count(true) == 1);
        assertThat(pool.claim(IMAGE, CPU, FIVE).orElseThrow()).isNotEqualTo(id);
    }

    @Test
    void aTakenServerFitsOnlyWhatItWasStartedFor() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String id = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        WarmPool.Server server = pool.take(id).orElseThrow();
        assertThat(server.fits(new LaunchSpec(id, "t", IMAGE, CPU, FIVE))).isTrue();
        assertThat(server.fits(new LaunchSpec(id, "t", IMAGE, CPU, new Volume("EVS", "MANAGED", 6))))
                .as("a volume grown while stopped").isFalse();
        Image other = Catalog.builtInImages("/opt/other/bin/jupyter-server").get(0);
        assertThat(server.fits(new LaunchSpec(id, "t", other, CPU, FIVE))).as("another image").isFalse();
    }

    @Test
    void aServerThatDiesWhileItWaitsIsRemovedAndReplaced() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String dead = running.keySet().iterator().next();
        failing.add(dead);
        await().atMost(Duration.ofSeconds(15)).until(() -> discarded.contains(dead) && pool.count(true) == 1);
        assertThat(pool.claim(IMAGE, CPU, FIVE).orElseThrow()).isNotEqualTo(dead);
    }

    @Test
    void aServerWhoseRemovalFailsStaysThePoolsAndIsRemovedOnceItCanBe() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String dead = running.keySet().iterator().next();
        removalsFail = true;
        failing.add(dead);
        await().atMost(Duration.ofSeconds(15)).until(() -> !pool.holdsUnclaimed(dead) && pool.holds(dead));
        assertThat(running).as("still on the host").containsKey(dead);
        assertThat(pool.busyWith(dead)).as("no launch may start under its id").isTrue();
        removalsFail = false;
        await().atMost(Duration.ofSeconds(15)).until(() -> discarded.contains(dead));
        assertThat(running).doesNotContainKey(dead);
        assertThat(pool.holds(dead)).isFalse();
    }

    @Test
    void aServerClaimedForAnInstanceRemovedBeforeItsLaunchIsLetGoWithWhatToStop() {
        pool(1);
        await().until(() -> pool.count(true) == 1);
        String id = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        assertThat(pool.forget(id)).hasValueSatisfying(state -> assertThat(state).containsKey("token"));
        assertThat(pool.holds(id)).isFalse();
        assertThat(pool.take(id)).isEmpty();
        assertThat(pool.forget(id)).isEmpty();
    }

    @Test
    void aFailedStartIsRemovedAndTriedAgainLater() {
        startsFail = true;
        pool(1);
        await().until(() -> !discarded.isEmpty());
        assertThat(pool.count(false)).isZero();
        startsFail = false;
        await().until(() -> pool.count(true) == 1);
    }

    @Test
    void serversAreGivenUpWhenMemoryRunsShortAndNoneStartedUntilThereIsEnough() {
        pool(2);
        await().until(() -> pool.count(true) == 2);
        freeMemory.set(0.05);
        await().atMost(Duration.ofSeconds(15)).until(() -> pool.count(false) == 0);
        assertThat(discarded).hasSize(2);
        freeMemory.set(0.9);
        await().atMost(Duration.ofSeconds(15)).until(() -> pool.count(true) == 2);
    }

    @Test
    void closingRemovesWhatNoInstanceClaimed() {
        pool(2);
        await().until(() -> pool.count(true) == 2);
        String claimed = pool.claim(IMAGE, CPU, FIVE).orElseThrow();
        pool.close();
        assertThat(running.keySet()).containsExactly(claimed);
        assertThat(pool.claim(IMAGE, CPU, FIVE)).isEmpty();
        assertThat(pool.take(claimed)).as("its instance still takes it").isPresent();
    }
}
