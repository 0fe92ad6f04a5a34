package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.port.InstanceRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Without file descriptors every look at a server fails: what a runtime then reports must not be taken for news
 * about the server.
 */
class DescriptorGuardTest {
    private final AtomicBoolean out = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong clock = new java.util.concurrent.atomic.AtomicLong();

    @Test
    void aServerFoundExitedOrSilentWhileDescriptorsAreOutIsUnreachableNotFailed() {
        for (var found : java.util.List.of(InstanceRuntime.Health.failed("the notebook server exited"),
                InstanceRuntime.Health.starting())) {
            var guard = new DescriptorGuard(answering(() -> found), out::get, clock::get);
            out.set(true);
            assertThat(guard.poll("i", "t", Map.of()).phase()).isEqualTo(InstanceRuntime.Phase.UNREACHABLE);
            assertThat(guard.poll("i", "t", Map.of()).reason()).contains("file descriptors");
            out.set(false);
            assertThat(guard.poll("i", "t", Map.of()).phase()).as("descriptors back for a moment: not yet believed")
                    .isEqualTo(InstanceRuntime.Phase.UNREACHABLE);
            clock.addAndGet(DescriptorGuard.SETTLE);
            assertThat(guard.poll("i", "t", Map.of())).isEqualTo(found);
        }
    }

    @Test
    void aReadyServerIsReadyWhateverTheDescriptors() {
        var ready = InstanceRuntime.Health.ready(false, null);
        out.set(true);
        assertThat(new DescriptorGuard(answering(() -> ready), out::get, clock::get).poll("i", "t", Map.of()))
                .isEqualTo(ready);
    }

    @Test
    void aLookThatFailsForWantOfDescriptorsIsUnreachableAndAnyOtherFailureIsThrown() {
        var emfile = new DescriptorGuard(answering(() -> {
            throw new UncheckedIOException(new IOException("/proc/42/stat: Too many open files"));
        }), () -> false, clock::get);
        assertThat(emfile.poll("i", "t", Map.of()).phase()).isEqualTo(InstanceRuntime.Phase.UNREACHABLE);
        var other = new DescriptorGuard(answering(() -> {
            throw new IllegalStateException("broken");
        }), () -> false, clock::get);
        assertThatThrownBy(() -> other.poll("i", "t", Map.of())).hasMessage("broken");
    }

    @Test
    void whatTheHostHoldsIsNotListedWhileDescriptorsAreOut() {
        var guard = new DescriptorGuard(answering(InstanceRuntime.Health::starting), out::get, clock::get);
        assertThat(guard.instancesOnHost()).as("never out").containsExactly("running");
        out.set(true);
        assertThatThrownBy(guard::instancesOnHost).isInstanceOf(InstanceRuntime.RuntimeFailure.class);
    }

    @Test
    void thisProcessHasDescriptorsToSpareNow() {
        assertThat(DescriptorGuard.exhausted()).isFalse();
    }

    /** A runtime whose one instance "running" looks as {@code health} says. */
    private static InstanceRuntime answering(Supplier<InstanceRuntime.Health> health) {
        return new InstanceRuntime() {
            @Override
            public Launch launch(LaunchSpec spec, ProgressListener progress) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Health poll(String instanceId, String token, Map<String, String> state) {
                return health.get();
            }

            @Override
            public void stop(String instanceId, Map<String, String> state) {
            }

            @Override
            public Set<String> instancesOnHost() {
                return Set.of("running");
            }

            @Override
            public void release(String instanceId) {
            }
        };
    }
}
