package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.support.ServeProcess;
import dev.atelier.support.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code atelier notebook …} run as a person would run it, against a real server with real notebook servers. */
class NotebookCliTest {
    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {
    }

    private Run atelier(TestServer server, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("notebook"));
        all.addAll(List.of(args));
        all.addAll(List.of("--data-dir", server.dataDir().toString(), "--url", server.url()));
        Process p = ServeProcess.java(dir, Map.of(), false, all);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    @Test
    void aNotebookIsCreatedWatchedStoppedAndDeletedFromTheCommandLine() throws Exception {
        try (TestServer server = TestServer.sqlite(dir.resolve("data"))) {
            Run created = atelier(server, "create", "from-cli", "--wait");
            assertThat(created.exit()).as(created.err()).isZero();
            String id = created.out().trim();
            assertThat(id).matches("[0-9a-f-]{36}");
            assertThat(created.err()).contains("from-cli: CREATING").contains("from-cli: RUNNING");

            Run table = atelier(server, "list");
            assertThat(table.out()).containsPattern("ID +NAME +STATUS").containsPattern(id + " +from-cli +RUNNING")
                    .contains("1 in all");
            Run json = atelier(server, "list", "-o", "json");
            assertThat(new ObjectMapper().readTree(json.out()).get("data").get(0).get("id").asText()).isEqualTo(id);

            Run stopped = atelier(server, "stop", id, "--wait");
            assertThat(stopped.exit()).as(stopped.err()).isZero();
            assertThat(stopped.err()).contains("from-cli: STOPPED");
            assertThat(atelier(server, "events", id).out()).containsPattern("STOP_REQUESTED +USER");

            Run renew = atelier(server, "renew", id);
            assertThat(renew.exit()).as("the API refuses: stopped").isEqualTo(1);
            assertThat(renew.err()).startsWith("atelier: ").contains("STOPPED").contains("ModelArts.");

            Run deleted = atelier(server, "delete", id, "--wait");
            assertThat(deleted.exit()).as(deleted.err()).isZero();
            assertThat(deleted.err()).contains(id + ": deleted");
            Run gone = atelier(server, "show", id);
            assertThat(gone.exit()).isEqualTo(1);
            assertThat(gone.err()).contains("does not exist").doesNotContain("\tat ");
        }
    }

    @Test
    void anUnreachableServerAndAWrongOptionAreSaidInOneLineWithTheirOwnExitCode() throws Exception {
        try (TestServer server = TestServer.sqlite(dir.resolve("data"))) {
            Process p = ServeProcess.java(dir, Map.of(), false, List.of("notebook", "list", "--data-dir",
                    server.dataDir().toString(), "--url", "http://127.0.0.1:1"));
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(2);
            assertThat(err.strip()).startsWith("atelier: cannot reach http://127.0.0.1:1").contains("connection refused")
                    .doesNotContain("\n");
            Run badOutput = atelier(server, "list", "-o", "yaml");
            assertThat(badOutput.exit()).isEqualTo(2);
            assertThat(badOutput.err()).contains("--output must be table or json");
        }
    }
}
