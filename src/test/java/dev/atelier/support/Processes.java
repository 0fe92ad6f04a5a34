package dev.atelier.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Looks at the host's processes, to prove what runs and what does not. */
public final class Processes {
    private Processes() {
    }

    /** Live processes (other than this JVM) whose full command line contains {@code text}. */
    public static List<ProcessHandle> matching(String text) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> commandLine(p.pid()).contains(text))
                .filter(ProcessHandle::isAlive)
                .toList();
    }

    public static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
