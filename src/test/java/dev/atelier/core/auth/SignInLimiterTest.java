package dev.atelier.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atelier.core.AtelierException;
import dev.atelier.support.MovableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignInLimiterTest {
    final MovableClock clock = new MovableClock();
    final SignInLimiter limiter = new SignInLimiter(10, 100, Duration.ofMinutes(15), clock);

    @Test
    void wrongPasswordsOfOnePairAreAnsweredSlowerAndSlowerThenRefused() {
        List<Duration> holds = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            limiter.requireNotLockedOut("erin", "10.0.0.1");
            holds.add(limiter.failedSignIn("erin", "10.0.0.1"));
        }
        assertThat(holds).containsExactly(Duration.ZERO, Duration.ZERO, Duration.ZERO, Duration.ofMillis(250),
                Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(4), Duration.ofSeconds(4));
        assertThatThrownBy(() -> limiter.requireNotLockedOut("erin", "10.0.0.1"))
                .isInstanceOf(AtelierException.class).hasMessageContaining("too many failed sign-ins");
        limiter.requireNotLockedOut("erin", "10.0.0.2"); // the account itself is never locked
        limiter.requireNotLockedOut("frank", "10.0.0.1"); // nor the address, for other accounts, below its limit
        clock.advance(Duration.ofMinutes(15));
        limiter.requireNotLockedOut("erin", "10.0.0.1"); // the window has passed
    }

    @Test
    void aRightPasswordStartsThePairAfreshAndTakesBackTheAdvanceCount() {
        for (int i = 0; i < 9; i++) {
            limiter.failedSignIn("erin", "10.0.0.1");
        }
        limiter.failedSignIn("erin", "10.0.0.1"); // counted in advance...
        limiter.succeeded("erin", "10.0.0.1"); // ...and it was right
        limiter.requireNotLockedOut("erin", "10.0.0.1");
        assertThat(limiter.failedSignIn("erin", "10.0.0.1")).isZero();
    }

    @Test
    void failuresWithoutAnAccountCountOnlyAgainstTheirAddress() {
        for (int i = 0; i < 100; i++) {
            limiter.requireAddressNotLockedOut("10.0.0.9");
            limiter.failed("10.0.0.9");
        }
        assertThatThrownBy(() -> limiter.requireAddressNotLockedOut("10.0.0.9")).isInstanceOf(AtelierException.class);
        assertThatThrownBy(() -> limiter.requireNotLockedOut("erin", "10.0.0.9")).isInstanceOf(AtelierException.class);
        limiter.requireAddressNotLockedOut("10.0.0.8");
        limiter.requireNotLockedOut("erin", "10.0.0.8");
    }

    @Test
    void manyAddressesGuessingOneAccountLockOnlyThemselves() {
        for (int a = 0; a < 1000; a++) {
            for (int i = 0; i < 10; i++) {
                limiter.failedSignIn("erin", "10.1." + a / 250 + "." + a % 250);
            }
        }
        assertThatThrownBy(() -> limiter.requireNotLockedOut("erin", "10.1.0.0")).isInstanceOf(AtelierException.class);
        limiter.requireNotLockedOut("erin", "10.2.0.1");
    }
}
