package dev.atelier.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UidRangeTest {
    @TempDir
    Path tmp;
    Path registry;
    Path passwd;

    @BeforeEach
    void host() throws Exception {
        registry = tmp.resolve("registry");
        passwd = tmp.resolve("passwd");
        Files.writeString(passwd, "root:x:0:0:root:/root:/bin/bash\natelier-200001:x:200001:200001::/home/ma-user:/usr/sbin/nologin\n");
    }

    private Path dataDir(String name) throws Exception {
        return Files.createDirectories(tmp.resolve(name));
    }

    @Test
    void twoInstallationsGetRangesOfTheirOwnAndEachKeepsItsRange() throws Exception {
        Path a = dataDir("a");
        Path b = dataDir("b");
        UidRange ra = UidRange.claim(a, registry, passwd);
        UidRange rb = UidRange.claim(b, registry, passwd);
        assertThat(ra.first()).isGreaterThanOrEqualTo(UidRange.BASE);
        assertThat(rb.first()).isGreaterThan(ra.last());
        assertThat(UidRange.claim(a, registry, passwd)).isEqualTo(ra);
        assertThat(UidRange.claim(b, registry, passwd)).isEqualTo(rb);
        assertThat(Files.readString(a.resolve(UidRange.FILE))).contains("first=" + ra.first());
    }

    @Test
    void aRangeRecordedInADataDirThatAnotherInstallationHoldsIsRefused() throws Exception {
        Path a = dataDir("a");
        UidRange ra = UidRange.claim(a, registry, passwd);
        Path copy = dataDir("copy"); // e.g. a data dir copied with its files
        Files.copy(a.resolve(UidRange.FILE), copy.resolve(UidRange.FILE));
        assertThatThrownBy(() -> UidRange.claim(copy, registry, passwd)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is held by the Atelier installation at " + a.toAbsolutePath())
                .hasMessageContaining(ra.toString());
    }

    @Test
    void theRangeOfAnInstallationWhoseDataDirIsGoneIsFreeAgain() throws Exception {
        Path a = dataDir("a");
        UidRange ra = UidRange.claim(a, registry, passwd);
        Files.delete(a.resolve(UidRange.FILE));
        Files.delete(a);
        assertThat(UidRange.claim(dataDir("b"), registry, passwd)).isEqualTo(ra);
    }

    @Test
    void aHostUserInARangeMakesItTakenAndARecordedOneIsRefused() throws Exception {
        Path a = dataDir("a");
        UidRange ra = UidRange.claim(a, registry, passwd);
        Files.writeString(passwd, "someone:x:" + (ra.first() + UidRange.SIZE + 5) + ":1::/:/bin/sh\n",
                java.nio.file.StandardOpenOption.APPEND);
        UidRange rb = UidRange.claim(dataDir("b"), registry, passwd);
        assertThat(rb.first()).as("the range after a's holds a host user").isEqualTo(ra.first() + 2 * UidRange.SIZE);
        Files.writeString(passwd, "intruder:x:" + (ra.first() + 7) + ":1::/:/bin/sh\n",
                java.nio.file.StandardOpenOption.APPEND);
        assertThatThrownBy(() -> UidRange.claim(a, registry, passwd)).hasMessageContaining("intruder");
    }
}
