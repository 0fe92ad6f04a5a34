package dev.atelier.store.sql;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The change feed's sequence bookkeeping, on a real SQLite file with gaps written by hand and a clock of its own. */
class InstanceChangesTest {
    @TempDir
    Path dir;
    Database db;
    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    InstanceChanges feed;
    final List<String> heard = new ArrayList<>();
    int lost;

    @BeforeEach
    void open() {
        db = Database.open("jdbc:sqlite:" + dir.resolve("feed.db"));
        feed = new InstanceChanges(db.jdbi(), true, clock::get);
        feed.listen(new InstanceChanges.Listener() {
            @Override
            public void changed(String instanceId) {
                heard.add(instanceId);
            }

            @Override
            public void lost() {
                lost++;
            }
        });
    }

    @AfterEach
    void close() {
        db.close();
    }

    void change(long seq, String id) {
        db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO instance_changes (seq, instance_id, changed_at) "
                + "VALUES (:s, :i, 0)").bind("s", seq).bind("i", id).execute());
    }

    @Test
    void eachChangeIsHeardOnceAndTheFloorFollowsAnUnbrokenSequence() {
        change(101, "a"); // rows below were pruned before this server started: a gap, waited for like any
        change(102, "b");
        feed.catchUp();
        assertThat(feed.floor()).isZero();
        clock.addAndGet(InstanceChanges.WINDOW_NANOS + 1);
        feed.catchUp();
        assertThat(feed.floor()).isEqualTo(102);
        change(103, "a");
        feed.catchUp();
        feed.catchUp();
        assertThat(heard).containsExactly("a", "b", "a");
        assertThat(feed.floor()).isEqualTo(103);
    }

    @Test
    void pruningKeepsWhatIsRecentByTheDatabasesClockOrNotReadYet() {
        db.jdbi().useHandle(h -> h.execute("INSERT INTO instance_changes (seq, instance_id, changed_at) VALUES "
                + "(1, 'old', 0), (2, 'recent', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"));
        feed.catchUp();
        assertThat(feed.floor()).isEqualTo(2);
        change(3, "old-and-unread"); // changed_at 0, but above the floor
        feed.prune();
        List<Long> kept = db.jdbi().withHandle(h -> h.createQuery("SELECT seq FROM instance_changes ORDER BY seq")
                .mapTo(Long.class).list());
        assertThat(kept).containsExactly(2L, 3L);
    }

    @Test
    void aGapIsReadAgainUntilItFillsOrItsWindowPasses() {
        change(1, "a");
        change(3, "c"); // 2 is not committed yet
        feed.catchUp();
        assertThat(heard).containsExactly("a", "c");
        assertThat(feed.floor()).isEqualTo(1);

        change(2, "b"); // it commits
        feed.catchUp();
        assertThat(heard).containsExactly("a", "c", "b");
        assertThat(feed.floor()).isEqualTo(3);

        change(5, "e"); // 4 never comes (rolled back)
        feed.catchUp();
        clock.addAndGet(InstanceChanges.WINDOW_NANOS / 2);
        feed.catchUp();
        assertThat(feed.floor()).isEqualTo(3);
        clock.addAndGet(InstanceChanges.WINDOW_NANOS);
        feed.catchUp();
        assertThat(feed.floor()).isEqualTo(5);
        assertThat(heard).containsExactly("a", "c", "b", "e");
        assertThat(lost).isZero();
    }

    @Test
    void aFeedThatCannotBeReadSaysSoAndIsNotCurrent() {
        feed.catchUp();
        assertThat(feed.current(1)).isTrue();
        db.jdbi().useHandle(h -> h.execute("DROP TABLE instance_changes"));
        org.assertj.core.api.Assertions.assertThatThrownBy(feed::catchUp).isInstanceOf(RuntimeException.class);
        assertThat(lost).isEqualTo(1);
        assertThat(feed.current(Long.MAX_VALUE)).isFalse();
        feed.afterWrite(); // a write's caller is not failed by the feed
        assertThat(lost).isEqualTo(2);
    }
}
