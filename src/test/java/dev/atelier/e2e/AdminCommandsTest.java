package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.server.Main;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code atelier user|key|project|audit}, against a running server and on the data dir of a stopped one. */
class AdminCommandsTest {
    @TempDir
    Path dataDir;

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + err, e);
            }
        }
    }

    Run atelier(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--data-dir");
        all.add(dataDir.toString());
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = Main.commandLine().execute(all.toArray(String[]::new));
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void administrationWorksThroughARunningServerAndOnTheDataDirWhenItIsStopped() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            assertThat(dataDir.resolve("endpoint")).exists();
            // through the running server's admin API, signed with the administrator's credentials
            Run created = atelier("user", "create", "ivy", "--no-password");
            assertThat(created.exit()).as(created.err()).isZero();
            assertThat(created.json().get("name").asText()).isEqualTo("ivy");
            assertThat(atelier("project", "add-member", "default", "ivy", "--role", "member").exit()).isZero();
            Run key = atelier("key", "create", "ivy", "--description", "laptop");
            assertThat(key.exit()).as(key.err()).isZero();
            String ak = key.json().get("access_key").asText();
            String sk = key.json().get("secret_key").asText();
            SignedClient ivy = new SignedClient(server.url(), server.client().projectId(), ak, sk);
            assertThat(ivy.get("/v1/{project_id}/notebooks").status()).isEqualTo(200);
            Run keys = atelier("key", "list", "ivy");
            assertThat(keys.out()).contains(ak).contains("laptop").doesNotContain(sk);
            Run refused = atelier("user", "create", "ivy", "--no-password");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("ModelArts.6301").contains("exists");
            Run audit = atelier("audit", "--limit", "10");
            assertThat(audit.json().get("events").get(0).get("path").asText()).isEqualTo("/admin/v1/users");
            assertThat(audit.json().get("events").get(0).get("user_name").asText()).isEqualTo("admin");

            // with the server stopped, straight on the data dir, as the operator
            server.stopServer();
            assertThat(dataDir.resolve("endpoint")).doesNotExist();
            Run disabled = atelier("key", "disable", "ivy", ak);
            assertThat(disabled.exit()).as(disabled.err()).isZero();
            assertThat(disabled.json().get("enabled").asBoolean()).isFalse();
            Run users = atelier("user", "list");
            assertThat(users.json().get("users").findValuesAsText("name")).contains("admin", "ivy");
            Run offlineAudit = atelier("audit", "--limit", "1");
            JsonNode last = offlineAudit.json().get("events").get(0);
            assertThat(last.get("user_name").asText()).startsWith("local:");
            assertThat(last.get("path").asText()).isEqualTo("/admin/v1/users/ivy/keys/" + ak);
            assertThat(last.get("address").asText()).isEqualTo("local");

            server.start();
            ivy = new SignedClient(server.url(), server.client().projectId(), ak, sk); // a new port
            assertThat(ivy.get("/v1/{project_id}/notebooks").status()).as("the key disabled offline").isEqualTo(401);
        }
    }

    @Test
    void quotasAreSetAndShownThroughTheRunningServerAndNotOnAStoppedOnesDataDir() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            assertThat(atelier("user", "create", "ivy", "--no-password").exit()).isZero();
            Run set = atelier("quota", "set", "default", "--user", "ivy", "--vcpus", "8", "--gpus", "0",
                    "--gpu-hours", "40");
            assertThat(set.exit()).as(set.err()).isZero();
            assertThat(set.json().get("quotas")).anySatisfy(q -> {
                assertThat(q.get("resource").asText()).isEqualTo("gpu_hours");
                assertThat(q.get("limit").asLong()).isEqualTo(40);
            });
            Run shown = atelier("quota", "show", "default", "--user", "ivy");
            assertThat(shown.json().get("quotas")).anySatisfy(q -> {
                assertThat(q.get("resource").asText()).isEqualTo("vcpus");
                assertThat(q.get("limit").asLong()).isEqualTo(8);
                assertThat(q.get("used").asLong()).isZero();
            });
            Run project = atelier("quota", "set", "default", "--instances", "5");
            assertThat(project.exit()).as(project.err()).isZero();
            assertThat(atelier("quota", "show", "default").json().get("quotas").get(0).get("limit").asLong())
                    .isEqualTo(5);
            Run nothing = atelier("quota", "set", "default");
            assertThat(nothing.exit()).isEqualTo(2);
            assertThat(nothing.err()).contains("--vcpus");

            server.stopServer();
            Run offline = atelier("quota", "show", "default");
            assertThat(offline.exit()).isEqualTo(1);
            assertThat(offline.err()).contains("running server");
        }
    }

    @Test
    void withoutAServerOrADatabaseTheCommandSaysWhatToDo() throws Exception {
        Files.createDirectories(dataDir);
        Run r = atelier("user", "list");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("start the server once");
        Run badDate = atelier("audit", "--since", "yesterday");
        assertThat(badDate.exit()).isEqualTo(2);
        assertThat(badDate.err()).contains("--since must be an instant").doesNotContain("\tat ");
    }
}
