package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new volume of the default capacity is a formatted spare renamed; the spare is made again afterwards. */
class SpareVolumesTest {
    private static final int GB = SpareVolumes.CAPACITY_GB;

    @TempDir
    Path dir;

    @BeforeEach
    void loopVolumesCanBeMadeHere() {
        Assumptions.assumeTrue(HostMounts.loopVolumesAvailable(), "loop-mounted volumes need root and mkfs.ext4");
    }

    @AfterEach
    void unmount() {
        HostMounts.unmountAll(dir);
    }

    @Test
    void aNewVolumeTakesTheSpareAndIsTheInstancesUidsAndTheSpareIsMadeAgain() throws Exception {
        Path volumes = dir.resolve("volumes");
        Path spare = SpareVolumes.of(volumes, GB);
        HostMounts.mountVolume(volumes.resolve("first.ext4"), Files.createDirectories(dir.resolve("work-1")), GB, 1000);
        await().atMost(SpareVolumes.PAUSE.plusSeconds(30)).until(() -> Files.exists(spare));
        assertThat(Files.size(spare)).isEqualTo((long) GB << 30);
        Object spareInode = Files.getAttribute(spare, "unix:ino");

        Path second = volumes.resolve("second.ext4");
        Path work = Files.createDirectories(dir.resolve("work-2"));
        HostMounts.mountVolume(second, work, GB, 1234);
        assertThat(Files.getAttribute(second, "unix:ino")).as("the spare, renamed").isEqualTo(spareInode);
        assertThat(HostMounts.mounted(work)).isTrue();
        assertThat(work.resolve("lost+found")).as("an ext4 file system").isDirectory();
        assertThat(Files.getAttribute(work, "unix:uid")).as("its root is the instance's").isEqualTo(1234);
        assertThat(Files.getAttribute(work, "unix:gid")).isEqualTo(1234);
        assertThat(Files.exists(spare)).as("taken").isFalse();
        await().atMost(SpareVolumes.PAUSE.plusSeconds(30)).until(() -> Files.exists(spare));
        assertThat(Files.getAttribute(spare, "unix:ino")).as("a new one").isNotEqualTo(spareInode);
        try (var left = Files.list(volumes)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("no half-made file left behind")
                    .containsExactlyInAnyOrder("first.ext4", "second.ext4", spare.getFileName().toString());
        }
    }

    @Test
    void otherCapacitiesLeaveNoSpareAndAKilledMakersHalfMadeSpareIsRemovedOnceStale() throws Exception {
        Path volumes = Files.createDirectories(dir.resolve("volumes"));
        Path stale = SpareVolumes.partial(SpareVolumes.of(volumes, GB));
        Files.writeString(stale, "cut off before its file system was made");
        Files.setLastModifiedTime(stale, FileTime.from(Instant.now().minus(SpareVolumes.STALE).minusSeconds(60)));
        Path fresh = SpareVolumes.partial(SpareVolumes.of(volumes, GB)); // another server's, being made now
        Files.writeString(fresh, "being made");

        HostMounts.mountVolume(volumes.resolve("small.ext4"), Files.createDirectories(dir.resolve("small")), 1, 1000);
        Thread.sleep(SpareVolumes.PAUSE.plusSeconds(2).toMillis());
        assertThat(SpareVolumes.of(volumes, 1)).as("spares only of the default capacity").doesNotExist();

        HostMounts.mountVolume(volumes.resolve("usual.ext4"), Files.createDirectories(dir.resolve("usual")), GB, 1000);
        await().atMost(SpareVolumes.PAUSE.plusSeconds(30)).until(() -> Files.exists(SpareVolumes.of(volumes, GB)));
        assertThat(stale).as("a killed maker's").doesNotExist();
        assertThat(fresh).as("one being made elsewhere is left to its maker").exists();
    }
}
