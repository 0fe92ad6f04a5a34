package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mark holds a warm server's id for as long as the replica that made it lives, and no longer. */
class WarmMarksTest {
    private static final String ID = "0b7e1c2a-5d4f-4e3b-9a8c-7d6e5f4a3b2c";

    @TempDir
    Path dir;

    @Test
    void aMarkHoldsItsIdWhileItsReplicaLives() {
        WarmMarks marks = new WarmMarks(dir);
        assertThat(marks.heldByALiveReplica(ID)).isFalse();
        marks.mark(ID);
        assertThat(marks.heldByALiveReplica(ID)).isTrue();
        marks.unmark(ID);
        assertThat(marks.heldByALiveReplica(ID)).isFalse();
    }

    @Test
    void aMarkOfAReplicaThatIsGoneHoldsNothing() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        long start = gone.toHandle().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(1L);
        Files.writeString(dir.resolve(ID), gone.pid() + " " + start + "\n");
        assertThat(new WarmMarks(dir).heldByALiveReplica(ID)).isFalse();
        // a live process whose start is not the one recorded: the pid was given to another process since
        Files.writeString(dir.resolve(ID), ProcessHandle.current().pid() + " 1\n");
        assertThat(new WarmMarks(dir).heldByALiveReplica(ID)).isFalse();
    }
}
