package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mark holds a warm server's id for as long as the replica that made it lives, and no longer. */
class WarmMarksTest {
    static final String ID = "0b7e1c2a-5d4f-4e3b-9a8c-7d6e5f4a3b2c";

    @TempDir
    Path dir;

    @Test
    void aMarkHoldsItsIdForTheProcessThatMadeItUntilItIsRemoved() {
        WarmMarks marks = new WarmMarks(dir);
        assertThat(marks.holder(ID)).isEqualTo(WarmMarks.Holder.NOBODY);
        marks.mark(ID);
        assertThat(marks.holder(ID)).isEqualTo(WarmMarks.Holder.THIS_PROCESS);
        marks.unmark(ID);
        assertThat(marks.holder(ID)).isEqualTo(WarmMarks.Holder.NOBODY);
    }

    @Test
    void anotherLiveProcesssMarkHoldsAndAGoneOnesDoesNot() throws Exception {
        Process other = new ProcessBuilder("sleep", "30").start();
        try {
            markAs(dir, other.pid());
            assertThat(new WarmMarks(dir).holder(ID)).isEqualTo(WarmMarks.Holder.ANOTHER_REPLICA);
        } finally {
            other.destroyForcibly().waitFor();
        }
        assertThat(new WarmMarks(dir).holder(ID)).as("its replica is gone").isEqualTo(WarmMarks.Holder.NOBODY);
        // a live process with another start: the pid was given to another process since the mark was made
        Files.writeString(dir.resolve(ID), ProcessHandle.current().pid() + " 1\n");
        assertThat(new WarmMarks(dir).holder(ID)).isEqualTo(WarmMarks.Holder.NOBODY);
    }

    /** Marks {@link #ID} as a server of the replica that runs as {@code pid}. */
    static void markAs(Path dir, long pid) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(ID), pid + " " + WarmMarks.startTicks(pid).orElseThrow() + "\n");
    }
}
