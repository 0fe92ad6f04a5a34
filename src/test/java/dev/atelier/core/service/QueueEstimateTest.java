package dev.atelier.core.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Room;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueEstimateTest {
    static final Demand ONE = new Demand(1, 2, 8192, 0);
    static final Room TWO = new Room(2, -1, -1, -1);

    @Test
    void eachWaitingInstanceStartsWhenTheRoomItNeedsIsExpectedToBeFree() {
        Map<String, Long> starts = QueueEstimate.starts(TWO,
                List.of(new QueueEstimate.Seated(ONE, 5_000L), new QueueEstimate.Seated(ONE, 9_000L)),
                List.of(new QueueEstimate.Waiting("a", ONE, 10_000L), new QueueEstimate.Waiting("b", ONE, 1_000L),
                        new QueueEstimate.Waiting("c", ONE, null)),
                1_000);
        // a takes the first seat freed; b the second; c the one b gives back after its own run
        assertThat(starts).containsEntry("a", 5_000L).containsEntry("b", 9_000L).containsEntry("c", 10_000L);
    }

    @Test
    void aStartThatDependsOnRoomHeldWithoutAKnownEndIsUnknownAndSoIsEveryStartBehindIt() {
        Map<String, Long> starts = QueueEstimate.starts(TWO,
                List.of(new QueueEstimate.Seated(ONE, null), new QueueEstimate.Seated(ONE, 4_000L)),
                List.of(new QueueEstimate.Waiting("a", ONE, null), new QueueEstimate.Waiting("b", ONE, 1_000L)),
                1_000);
        assertThat(starts).containsOnlyKeys("a").containsEntry("a", 4_000L);
    }

    @Test
    void aWaitingInstanceThatFitsNowIsExpectedNowAndAnEndInThePastCountsAsNow() {
        assertThat(QueueEstimate.starts(TWO, List.of(new QueueEstimate.Seated(ONE, null)),
                List.of(new QueueEstimate.Waiting("a", ONE, null)), 1_000)).containsEntry("a", 1_000L);
        assertThat(QueueEstimate.starts(new Room(1, -1, -1, -1), List.of(new QueueEstimate.Seated(ONE, 500L)),
                List.of(new QueueEstimate.Waiting("a", ONE, null)), 1_000)).containsEntry("a", 1_000L);
    }

    @Test
    void placesReadAsPeopleCountThem() {
        assertThat(List.of(1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111).stream().map(QueueBoard.Place::ordinal))
                .containsExactly("1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
                        "111th");
        QueueBoard.Place p = new QueueBoard.Place("pool-managed", 3, 7, 0, 241_000L);
        assertThat(p.message(1_000)).isEqualTo("queued: 3rd of 7 in pool pool-managed, about 4 min");
        assertThat(p.message(200_000)).isEqualTo("queued: 3rd of 7 in pool pool-managed, about 41 s");
        assertThat(new QueueBoard.Place("pool-managed", 1, 1, 0, null).message(0))
                .isEqualTo("queued: 1st of 1 in pool pool-managed, start time unknown (the instances ahead have no "
                        + "auto stop)");
    }
}
