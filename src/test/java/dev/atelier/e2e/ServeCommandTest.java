package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.atelier.support.ServeProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a user runs it: a real {@code atelier serve} process, its output, its files, SIGTERM. */
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void serveCreatesPrivateCredentialsAnswersReadyAndStopsCleanlyOnSigterm() throws Exception {
        Path dataDir = dir.resolve("data");
        ServeProcess first = serve(Map.of("ATELIER_DATA_DIR", dataDir.toString()), "--port", "0");
        try {
            assertThat(first.output()).anyMatch(l -> l.contains("credentials written to " + dataDir.toAbsolutePath()
                    .resolve("credentials.json") + " "));
            assertThat(first.output()).anyMatch(l -> l.contains("bin/atelier api"));
            Path creds = dataDir.resolve("credentials.json");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(creds))).isEqualTo("rw-------");
            assertThat(Files.readString(creds)).contains("\"project_id\"", "\"access_key\"", "\"secret_key\"");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir))).isEqualTo("rwx------");

            HttpResponse<String> ready = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(first.url() + "/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(200);

            Process api = java(Map.of(), "api", "--data-dir", dataDir.toString(), "--url", first.url(), "GET",
                    "/v1/{project_id}/notebooks?limit=10");
            String printed = new String(api.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(api.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(api.exitValue()).as(printed).isZero();
            assertThat(printed).contains("\"total\" : 0");

            // written in blocks, and what a block holds at least every second: a quiet server's log is not hours late
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Files.readString(
                    dataDir.resolve("logs/access.log"))).containsPattern(" GET /v1/[0-9a-f]+/notebooks 200 "));

            String secret = Files.readString(creds).replaceAll("(?s).*\"secret_key\" : \"([^\"]+)\".*", "$1");
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(first.url() + "/health/live")).build(),
                    HttpResponse.BodyHandlers.discarding()); // logged moments before the stop
            first.process().toHandle().destroy(); // SIGTERM, keeping our end of its output open
            assertThat(first.process().waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(first.process().exitValue()).as(String.join("\n", first.output())).isIn(0, 143);
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(first.output()).anyMatch(l -> l.contains("Atelier stopped")));
            String log = Files.readString(dataDir.resolve("logs/atelier.log"));
            assertThat(log).contains("Atelier is listening").doesNotContain(secret);
            // stopping the server writes out what the access log still held
            assertThat(Files.readString(dataDir.resolve("logs/access.log"))).containsPattern(" GET /health/live 200 ");
        } finally {
            first.process().destroyForcibly();
        }

        // again, as a user would type it: a data dir relative to the working directory
        ServeProcess second = serve(Map.of(), "--data-dir", "data", "--port", "0");
        try {
            assertThat(second.output()).noneMatch(l -> l.contains("credentials written"));
            String created = apiCall(second.url(), "POST", "/v1/{project_id}/notebooks", "--data",
                    dev.atelier.support.TestServer.createBody("relative"));
            String id = created.replaceAll("(?s).*?\"id\" : \"([^\"]+)\".*", "$1");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                    apiCall(second.url(), "GET", "/v1/{project_id}/notebooks/" + id), s -> s.contains("\"RUNNING\""));
            assertThat(dataDir.resolve("instances").resolve(id).resolve("work")).isDirectory();
            apiCall(second.url(), "DELETE", "/v1/{project_id}/notebooks/" + id);
            await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(dataDir.resolve("instances").resolve(id)));
        } finally {
            second.process().destroy();
            second.process().waitFor(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void jsonLogsAreOneObjectALineCarryingEachRequestsFieldsAndTheReconcilersTheRequestItWorksFor()
            throws Exception {
        Path dataDir = dir.resolve("json");
        ServeProcess server = serve(Map.of("ATELIER_LOG_FORMAT", "json"), "--data-dir", dataDir.toString(),
                "--port", "0", "--ssh-port", "-1", "--slow-request-ms", "1");
        String instanceId;
        String createRequest;
        try {
            HttpResponse<String> live = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(server.url() + "/health/ready")).header("X-Request-Id", "trace-42").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
            String ours = live.headers().firstValue("X-Request-Id").orElseThrow();
            assertThat(ours).as("ours stays unique: the audit log is keyed by it").isNotEqualTo("trace-42");

            var creds = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    dataDir.resolve("credentials.json").toFile());
            var api = new dev.atelier.support.SignedClient(server.url(), creds.get("project_id").asText(),
                    creds.get("access_key").asText(), creds.get("secret_key").asText());
            var created = api.post("/v1/{project_id}/notebooks", dev.atelier.support.TestServer.createBody("logged"));
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            instanceId = created.json().get("id").asText();
            createRequest = created.requestId();
            await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks/" + instanceId)
                    .json().get("status").asText().equals("RUNNING"));
            server.process().toHandle().destroy();
            assertThat(server.process().waitFor(15, TimeUnit.SECONDS)).isTrue();
        } finally {
            server.process().destroyForcibly();
            // the instance's server outlives Atelier's process, as it should; not the test
            dev.atelier.support.Processes.matching(dataDir.toAbsolutePath().toString())
                    .forEach(ProcessHandle::destroyForcibly);
            dev.atelier.support.TestServer.unmountUnder(dataDir);
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<com.fasterxml.jackson.databind.JsonNode> lines = new ArrayList<>();
        for (String file : List.of("logs/atelier.log", "logs/access.log")) {
            for (String line : Files.readAllLines(dataDir.resolve(file))) {
                lines.add(json.readTree(line)); // every line is one JSON object
            }
        }
        assertThat(lines).anyMatch(l -> l.path("formattedMessage").asText().contains("Atelier is listening"));
        var request = lines.stream().filter(l -> "/health/ready".equals(l.path("mdc").path("route").asText()))
                .toList();
        assertThat(request).as("the access line and the slow-request line").hasSize(2);
        for (var l : request) {
            assertThat(l.get("mdc").get("client_request_id").asText()).isEqualTo("trace-42");
            assertThat(l.get("mdc").get("request_id").asText()).isNotBlank().isNotEqualTo("trace-42");
            assertThat(l.get("mdc").get("status").asText()).isEqualTo("200");
            assertThat(l.get("mdc").get("duration_ms").asLong()).isNotNegative();
            assertThat(l.get("timestamp").asLong()).isPositive();
        }
        assertThat(request).anyMatch(l -> l.get("level").asText().equals("WARN")
                && l.get("formattedMessage").asText().startsWith("slow request "));

        var reconciling = lines.stream().filter(l -> instanceId.equals(l.path("mdc").path("instance_id").asText()))
                .toList();
        assertThat(reconciling).as("the launch and the instance running are logged")
                .anyMatch(l -> l.get("formattedMessage").asText().contains("is running at"));
        assertThat(reconciling).allSatisfy(l -> assertThat(l.get("mdc").get("request_id").asText())
                .as("the reconciler's lines name the request that asked for the run").isEqualTo(createRequest));
    }

    @Test
    void aBadDatabaseUrlIsReportedInOneLineAndTheServerExits() throws Exception {
        Process p = java(Map.of(), "serve", "--data-dir", dir.toString(), "--port", "0", "--database-url",
                "jdbc:mysql://nowhere/db");
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(err).contains("atelier: cannot start: unsupported database URL").doesNotContain("\tat ");
    }

    @Test
    void aPortInUseIsSaidInOneLineBeforeAnythingStarts() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            Process p = java(Map.of(), "serve", "--data-dir", dir.toString(), "--port",
                    Integer.toString(taken.getLocalPort()), "--ssh-port", "-1");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(err.strip()).startsWith("atelier: cannot start: port " + taken.getLocalPort())
                    .contains("in use").doesNotContain("\n");
            assertThat(out + err).doesNotContain("Javalin").doesNotContain("warm");
        }
    }

    /** Runs {@code atelier api} against the relative data dir; returns what it printed, failing on an error. */
    private String apiCall(String url, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("api", "--data-dir", "data", "--url", url));
        all.addAll(List.of(args));
        Process p = java(Map.of(), all.toArray(String[]::new));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return out;
    }

    private ServeProcess serve(Map<String, String> env, String... args) throws IOException {
        return ServeProcess.start(dir, env, List.of(args));
    }

    private Process java(Map<String, String> env, String... args) throws IOException {
        return ServeProcess.java(dir, env, false, List.of(args));
    }
}
