package dev.atelier.runtime.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What {@code /proc} says of a process; every answer allows for the process being gone by then. */
final class Proc {
    private Proc() {
    }

    /** Its command line, arguments separated by spaces; empty when it is gone (or mid-exec). */
    static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(file(pid, "cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** Its executable's short name; empty when it is gone. */
    static String comm(long pid) {
        try {
            return Files.readString(file(pid, "comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Its real uid, as the host sees it; -1 when it is gone. */
    static int realUid(long pid) {
        try {
            for (String line : Files.readAllLines(file(pid, "status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[1]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone, or not ours to read
        }
        return -1;
    }

    /** The namespace of that kind ({@code mnt}, {@code net} …) it is in, as {@code net:[4026531833]}; null when gone. */
    static String namespace(long pid, String kind) {
        try {
            return Files.readSymbolicLink(file(pid, "ns/" + kind)).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Its children, from {@code /proc/<pid>/task/<pid>/children}: no look at every process of the host. */
    static List<Long> children(long pid) {
        try {
            String list = Files.readString(file(pid, "task/" + pid + "/children")).trim();
            return list.isEmpty() ? List.of() : java.util.Arrays.stream(list.split("\\s+")).map(Long::valueOf).toList();
        } catch (IOException | RuntimeException e) {
            return List.of(); // gone, or a kernel without the list: the next look tries again
        }
    }

    private static Path file(long pid, String name) {
        return Path.of("/proc", Long.toString(pid)).resolve(name);
    }
}
