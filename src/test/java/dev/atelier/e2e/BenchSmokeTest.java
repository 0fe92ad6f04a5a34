package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmarks under bench/ at toy sizes, so that they cannot rot unnoticed. Not a measurement. */
class BenchSmokeTest {
    @TempDir
    Path dir;

    static List<String> run(Path scratch, String program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Datelier.log.dir=" + scratch.resolve("logs"),
                "-cp", System.getProperty("java.class.path"), Path.of("bench", program).toString(), scratch.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().filter(l -> l.matches("[a-z_0-9]+=\\S+")).toList();
    }

    @Test
    void theStartBenchmarkRunsAndReportsEveryFigure() throws Exception {
        List<String> lines = run(dir, "StartLatency.java", "1");
        assertThat(lines).anyMatch(l -> l.startsWith("create_to_running_p50_ratio="))
                .anyMatch(l -> l.startsWith("stop_to_stopped_p50_ms=")).anyMatch(l -> l.startsWith("delete_to_gone_p50_ms="))
                .anyMatch(l -> l.startsWith("create_concurrent_ratio="));
    }

    @Test
    void theWarmStartBenchmarkRunsAndReportsEveryFigure() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "it runs sandboxed instances");
        List<String> lines = run(dir, "WarmStart.java", "1", "1");
        assertThat(lines).anyMatch(l -> l.startsWith("create_to_running_warm_ratio_to_bare="))
                .anyMatch(l -> l.startsWith("create_to_running_cold_ratio_to_bare="))
                .anyMatch(l -> l.startsWith("first_cell_warm_p50_ms=")).anyMatch(l -> l.startsWith("first_page_cold_p50_ms="))
                .anyMatch(l -> l.startsWith("stopped_start_to_running_p50_ms="))
                .anyMatch(l -> l.startsWith("warm_concurrent_ratio=")).anyMatch(l -> l.startsWith("waiting_server_rss_mib="));
    }

    @Test
    void theListBenchmarkRunsAndReportsEveryFigure() throws Exception {
        List<String> lines = run(dir, "ListScale.java", "300", "sqlite", "20");
        assertThat(lines).anyMatch(l -> l.startsWith("at300_show_p99_ms=")).anyMatch(l -> l.startsWith("at300_show_rps="))
                .anyMatch(l -> l.startsWith("at300_list_all_limit50_p99_ms=")).anyMatch(l -> l.startsWith("at300_rss_mib="));
    }

    @Test
    void theStandaloneLoadBenchmarkRunsAndReportsEveryFigure() throws Exception {
        Assumptions.assumeTrue(new ProcessBuilder("sh", "-c", "command -v wrk").start().waitFor() == 0,
                "wrk is not installed (.ci/run installs it)");
        List<String> lines = run(dir, "ShowLoad.java", System.getProperty("java.class.path"), "200", "1", "1");
        assertThat(lines).anyMatch(l -> l.startsWith("health_cpu_us=")).anyMatch(l -> l.startsWith("show_rps="))
                .anyMatch(l -> l.startsWith("show_cpu_us=")).anyMatch(l -> l.startsWith("list_all_50_p99_ms="))
                .anyMatch(l -> l.startsWith("server_rss_mib=")).anyMatch(l -> l.startsWith("server_rss_mib_with_running="));
    }

    @Test
    void theClusterBenchmarkRunsAndReportsEveryFigure() throws Exception {
        List<String> lines = run(dir, "ClusterScale.java", "5", "2");
        assertThat(lines).contains("running=5").anyMatch(l -> l.startsWith("all_running_net_of_node_ms="))
                .anyMatch(l -> l.startsWith("api_calls_per_instance_start="))
                .anyMatch(l -> l.startsWith("cpu_ms_per_instance_per_min_running="));
    }

    @Test
    void theBenchScriptIsValidShell() throws Exception {
        Process p = new ProcessBuilder("bash", "-n", "bench/run").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
