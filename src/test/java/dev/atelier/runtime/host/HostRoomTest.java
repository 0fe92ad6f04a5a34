package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Demand;
import dev.atelier.core.model.Room;
import org.junit.jupiter.api.Test;

class HostRoomTest {
    static final Demand DEFAULT_FLAVOR = new Demand(1, 2, 8192, 0);

    @Test
    void aHostOffersItsMemoryLessATenthAndItsCpusFourTimesOver() {
        Room room = HostRoom.of(2, 24 * 1024, 0);
        assertThat(room).isEqualTo(new Room(-1, 8, 24 * 1024 - 2457, 0));
        assertThat(room.holds(DEFAULT_FLAVOR.plus(DEFAULT_FLAVOR))).isTrue();
        assertThat(room.holds(DEFAULT_FLAVOR.plus(DEFAULT_FLAVOR).plus(DEFAULT_FLAVOR)))
                .as("a third 8 GiB instance on 24 GiB waits").isFalse();
    }

    @Test
    void aSmallHostKeepsAtLeastOneGibibyteForItself() {
        assertThat(HostRoom.of(1, 4096, 0).memoryMib()).isEqualTo(3072);
        assertThat(HostRoom.of(1, 512, 0).memoryMib()).isZero();
    }

    @Test
    void theMeasuredHostHasRoomForAtLeastOneInstanceOfTheSmallestFlavorHere() {
        Room measured = HostRoom.measure();
        assertThat(measured.vcpus()).isEqualTo(Runtime.getRuntime().availableProcessors() * 4L);
        assertThat(measured.memoryMib()).isPositive();
    }
}
