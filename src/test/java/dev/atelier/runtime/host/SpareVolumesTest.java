package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new volume is a formatted spare renamed, where one was made ahead; the spare is made again afterwards. */
class SpareVolumesTest {
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
    void aNewVolumeTakesTheSpareOfItsCapacityAndTheSpareIsMadeAgain() throws Exception {
        Path volumes = dir.resolve("volumes");
        Path spare = SpareVolumes.of(volumes, 1);
        Path first = volumes.resolve("first.ext4");
        HostMounts.mountVolume(first, Files.createDirectories(dir.resolve("work-1")), 1, 1000);
        assertThat(HostMounts.mounted(dir.resolve("work-1"))).isTrue();
        await().atMost(SpareVolumes.PAUSE.plusSeconds(30)).until(() -> Files.exists(spare));
        assertThat(Files.size(spare)).isEqualTo(1L << 30);
        Object spareInode = Files.getAttribute(spare, "unix:ino");

        Path second = volumes.resolve("second.ext4");
        Path work = Files.createDirectories(dir.resolve("work-2"));
        HostMounts.mountVolume(second, work, 1, 1000);
        assertThat(Files.getAttribute(second, "unix:ino")).as("the spare, renamed").isEqualTo(spareInode);
        assertThat(HostMounts.mounted(work)).isTrue();
        assertThat(work.resolve("lost+found")).as("an ext4 file system").isDirectory();
        Files.writeString(work.resolve("note"), "kept"); // writable, and its own
        assertThat(Files.readString(work.resolve("note"))).isEqualTo("kept");
        assertThat(Files.exists(spare)).as("taken").isFalse();
        await().atMost(SpareVolumes.PAUSE.plusSeconds(30)).until(() -> Files.exists(spare));
        assertThat(Files.getAttribute(spare, "unix:ino")).as("a new one").isNotEqualTo(spareInode);
    }

    @Test
    void aHalfMadeSpareLeftByAKillIsNeverTaken() throws Exception {
        Path volumes = Files.createDirectories(dir.resolve("volumes"));
        Path partial = volumes.resolve(SpareVolumes.of(volumes, 1).getFileName() + ".partial");
        Files.writeString(partial, "cut off before its file system was made");
        Path image = volumes.resolve("new.ext4");
        Path work = Files.createDirectories(dir.resolve("work"));
        HostMounts.mountVolume(image, work, 1, 1000);
        assertThat(work.resolve("lost+found")).isDirectory();
        await().atMost(SpareVolumes.PAUSE.plusSeconds(30)).until(() -> Files.exists(SpareVolumes.of(volumes, 1)));
        assertThat(partial).doesNotExist();
        assertThat(Files.size(SpareVolumes.of(volumes, 1))).isEqualTo(1L << 30);
    }
}
