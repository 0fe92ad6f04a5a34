package dev.atelier.runtime.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host uids one installation gives its sandboxed instances: a range of its own, so that two installations on
 * one host (two data dirs) never share a uid, and the rules that rest on uids (which files an instance owns, which
 * ports the SSH gateway forwards to) never reach another installation's instances.
 *
 * <p>The range is recorded in the data dir ({@value #FILE}) and claimed on the host in {@link #REGISTRY}, one file
 * per range naming the data dir that holds it. A range is free when no live installation claims it (a claim whose
 * data dir is gone, or records another range, is stale), no host user other than Atelier's own
 * {@code atelier-<uid>} names has a uid in it, and no process runs as one of its uids. A recorded range that another
 * installation holds, or that a host user has taken, is refused with a message that says so.
 */
record UidRange(int first, int count) {
    static final String FILE = "uid-range";
    static final Path REGISTRY = Path.of("/var/lib/atelier/uid-ranges");
    static final int BASE = 200_000;
    static final int SIZE = 65_536;
    private static final int MAX_RANGES = 4096;
    private static final Logger log = LoggerFactory.getLogger(UidRange.class);

    boolean contains(int uid) {
        return uid >= first && uid < first + count;
    }

    int last() {
        return first + count - 1;
    }

    @Override
    public String toString() {
        return first + "-" + last();
    }

    /** This data dir's range: the one it records, or a free one, claimed now. */
    static UidRange claim(Path dataDir) {
        return claim(dataDir, REGISTRY, Path.of("/etc/passwd"));
    }

    static UidRange claim(Path dataDir, Path registry, Path passwd) {
        Path home = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(registry);
            try (FileChannel lockFile = FileChannel.open(registry.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock ignored = lockFile.lock()) {
                UidRange recorded = recorded(home);
                UidRange range = recorded != null ? recorded : choose(home, registry, passwd);
                String holder = holder(registry, range);
                if (holder != null && !holder.equals(home.toString())) {
                    throw new IllegalStateException("the uid range " + range + " recorded in " + home.resolve(FILE)
                            + " is held by the Atelier installation at " + holder + "; two installations must not "
                            + "share uids. Give this one a range of its own: delete its sandboxed instances, remove "
                            + home.resolve(FILE) + " and start again");
                }
                String taken = foreignUser(range, passwd);
                if (taken != null) {
                    throw new IllegalStateException("the uid range " + range + " of this installation (" + home
                            .resolve(FILE) + ") holds host user " + taken + "; choose another range by removing that "
                            + "file (after deleting its sandboxed instances), or move that user");
                }
                Files.writeString(registry.resolve(Integer.toString(range.first())), home.toString());
                if (recorded == null) {
                    Files.writeString(home.resolve(FILE), "first=" + range.first() + "\ncount=" + range.count() + "\n");
                    log.info("sandboxed instances of this installation run as host uids {}", range);
                }
                return range;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot claim a uid range for sandboxed instances in " + registry, e);
        }
    }

    private static UidRange recorded(Path home) throws IOException {
        Path file = home.resolve(FILE);
        if (!Files.exists(file)) {
            return null;
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file)) {
            p.load(in);
        }
        try {
            return new UidRange(Integer.parseInt(p.getProperty("first", "").trim()),
                    Integer.parseInt(p.getProperty("count", "").trim()));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(file + " is damaged (want first=N and count=N lines); remove it to have "
                    + "a range chosen again", e);
        }
    }

    /**
     * The first free range; a data dir from before ranges existed keeps the one its instance homes are in (the
     * first), if that is free.
     */
    private static UidRange choose(Path home, Path registry, Path passwd) throws IOException {
        List<Integer> running = processUids();
        for (int k = 0; k < MAX_RANGES; k++) {
            UidRange r = new UidRange(BASE + k * SIZE, SIZE);
            if (holder(registry, r) == null && foreignUser(r, passwd) == null
                    && running.stream().noneMatch(r::contains)) {
                return r;
            }
            if (k == 0 && holder(registry, r) == null && homesIn(home, r)) {
                return r; // its own instances are what runs in it
            }
        }
        throw new IllegalStateException("no free range of " + SIZE + " host uids above " + BASE + " for sandboxed "
                + "instances");
    }

    private static boolean homesIn(Path home, UidRange r) throws IOException {
        Path instances = home.resolve("instances");
        if (!Files.isDirectory(instances)) {
            return false;
        }
        try (var homes = Files.list(instances)) {
            for (Path h : homes.toList()) {
                if (r.contains((Integer) Files.getAttribute(h, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The data dir that holds the range, if it is a live installation that records this range. */
    private static String holder(Path registry, UidRange r) throws IOException {
        Path claim = registry.resolve(Integer.toString(r.first()));
        if (!Files.exists(claim)) {
            return null;
        }
        String dir = Files.readString(claim, StandardCharsets.UTF_8).trim();
        try {
            UidRange theirs = recorded(Path.of(dir));
            return theirs != null && theirs.first() == r.first() ? dir : null; // else stale: its data dir is gone
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A host user with a uid in the range that Atelier did not name ({@code atelier-<uid>}), as "name (uid)". */
    private static String foreignUser(UidRange r, Path passwd) throws IOException {
        if (!Files.exists(passwd)) {
            return null;
        }
        for (String line : Files.readAllLines(passwd)) {
            String[] f = line.split(":");
            if (f.length > 2 && f[2].matches("\\d{1,10}")) {
                long uid = Long.parseLong(f[2]);
                if (uid <= Integer.MAX_VALUE && r.contains((int) uid) && !f[0].equals("atelier-" + uid)) {
                    return f[0] + " (" + uid + ")";
                }
            }
        }
        return null;
    }

    /** The real uids of the host's processes. */
    private static List<Integer> processUids() {
        return ProcessHandle.allProcesses().map(p -> Proc.realUid(p.pid())).filter(uid -> uid >= 0).toList();
    }
}
