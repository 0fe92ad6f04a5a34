package dev.atelier.support;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A real {@code atelier serve} process started from the test classpath, with its output and its API URL. */
public record ServeProcess(Process process, String url, List<String> output) {
    private static final Pattern API_URL = Pattern.compile("Atelier API: (http://127\\.0\\.0\\.1:\\d+)");

    /** Runs {@code atelier <args>} (output and errors merged) in {@code workingDir} with extra environment. */
    public static Process java(Path workingDir, Map<String, String> env, boolean mergeStderr, List<String> args)
            throws IOException {
        return java(workingDir, env, mergeStderr, List.of(), args);
    }

    /** As above, run through {@code wrapper} (a command that runs the rest, such as {@code prlimit ... --}). */
    public static Process java(Path workingDir, Map<String, String> env, boolean mergeStderr, List<String> wrapper,
                               List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.atelier.server.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workingDir.toFile()).redirectErrorStream(mergeStderr);
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Starts {@code atelier serve <args>} and waits until it has printed its whole welcome, API URL included. */
    public static ServeProcess start(Path workingDir, Map<String, String> env, List<String> args) throws IOException {
        return start(workingDir, env, List.of(), args);
    }

    /** As above, run through {@code wrapper} (see {@link #java(Path, Map, boolean, List, List)}). */
    public static ServeProcess start(Path workingDir, Map<String, String> env, List<String> wrapper, List<String> args)
            throws IOException {
        List<String> all = new ArrayList<>(List.of("serve"));
        all.addAll(args);
        if (!args.contains("--ssh-port")) {
            all.addAll(List.of("--ssh-port", "0")); // several servers at once: never the default port
        }
        if (!args.contains("--warm-pool")) {
            all.addAll(List.of("--warm-pool", "0")); // servers kept warm only where a test is about them
        }
        Process p = java(workingDir, env, true, wrapper, all);
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        String url = await().atMost(Duration.ofSeconds(60)).until(() -> {
            synchronized (lines) {
                // the welcome's last line: a test that reads the output finds every line before it
                if (lines.stream().noneMatch(l -> l.startsWith("Stop with Ctrl-C"))) {
                    return null;
                }
                for (String l : lines) {
                    Matcher m = API_URL.matcher(l);
                    if (m.find()) {
                        return m.group(1);
                    }
                }
            }
            return null;
        }, u -> u != null);
        return new ServeProcess(p, url, lines);
    }
}
