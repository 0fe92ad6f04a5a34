package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AnonymousAuditBudgetTest {
    final AtomicLong clock = new AtomicLong(1_000_000);
    final AnonymousAuditBudget budget = new AnonymousAuditBudget(clock::get);

    @Test
    void anAddressGetsSixtyEntriesAMinuteAndTheRestAreCountedForTheLog() {
        for (int i = 0; i < AnonymousAuditBudget.PER_ADDRESS; i++) {
            assertThat(budget.take("10.0.0.1").record()).isTrue();
        }
        assertThat(budget.take("10.0.0.1")).isEqualTo(new AnonymousAuditBudget.Decision(false, true, 0));
        assertThat(budget.take("10.0.0.1")).isEqualTo(new AnonymousAuditBudget.Decision(false, false, 0));
        assertThat(budget.take("10.0.0.2").record()).as("another address has its own").isTrue();

        clock.addAndGet(AnonymousAuditBudget.MINUTE_MS);
        assertThat(budget.take("10.0.0.1")).as("a new minute, and the last one's count")
                .isEqualTo(new AnonymousAuditBudget.Decision(true, false, 2));
        assertThat(budget.take("10.0.0.1").leftOutLastMinute()).as("reported once").isZero();
    }

    @Test
    void allAddressesTogetherGetAThousandAMinute() {
        int written = 0;
        for (int i = 0; i < 2_000; i++) {
            if (budget.take("10.1." + (i / 250) + "." + (i % 250)).record()) {
                written++;
            }
        }
        assertThat(written).isEqualTo(AnonymousAuditBudget.TOTAL);
        clock.addAndGet(AnonymousAuditBudget.MINUTE_MS);
        assertThat(budget.take("10.9.9.9").record()).isTrue();
    }
}
