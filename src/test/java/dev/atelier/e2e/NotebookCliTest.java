package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
        return atelier(server, Map.of(), args);
    }

    private Run atelier(TestServer server, Map<String, String> env, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        if (!List.of("keypair", "image", "notebook", "workspace").contains(args[0])) {
            all.addFirst("notebook");
        }
        int end = all.indexOf("--"); // what follows is the command ssh runs
        all.addAll(end < 0 ? all.size() : end, List.of("--data-dir", server.dataDir().toString(), "--url",
                server.url()));
        Process p = ServeProcess.java(dir, env, false, all);
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

            Run open = atelier(server, "open", id);
            assertThat(open.exit()).as(open.err()).isZero();
            assertThat(open.out().trim()).startsWith(server.url() + "/notebook/" + id + "/tree?token=");
            var http = java.net.http.HttpClient.newHttpClient();
            var first = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(open.out().trim())).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(first.statusCode()).as("the token is taken, for a cookie").isEqualTo(302);
            String cookie = first.headers().allValues("Set-Cookie").getFirst().split(";")[0];
            var page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.url() + "/notebook/"
                    + id + "/tree")).header("Cookie", cookie).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(page.statusCode()).as("the address opens the notebook").isEqualTo(200);

            // --browser hands the address to $BROWSER: here a script that writes down what it was given
            java.nio.file.Path opened = dir.resolve("opened.txt");
            java.nio.file.Path browser = dir.resolve("browser.sh");
            java.nio.file.Files.writeString(browser, "#!/bin/sh\nprintf %s \"$1\" > " + opened + "\n");
            assertThat(browser.toFile().setExecutable(true)).isTrue();
            Run inBrowser = atelier(server, Map.of("BROWSER", browser.toString()), "open", id, "--browser");
            assertThat(inBrowser.exit()).as(inBrowser.err()).isZero();
            await().atMost(java.time.Duration.ofSeconds(10)).until(() -> java.nio.file.Files.exists(opened)
                    && !java.nio.file.Files.readString(opened).isEmpty());
            assertThat(java.nio.file.Files.readString(opened)).isEqualTo(inBrowser.out().trim())
                    .contains("?token=");
            Run noBrowser = atelier(server, Map.of("BROWSER", "/nonexistent/browser"), "open", id, "--browser");
            assertThat(noBrowser.exit()).isZero();
            assertThat(noBrowser.err()).contains("could not start a browser");

            Run saved = atelier(server, "save-image", id, "--name", "cli-env", "--tag", "v1", "--wait");
            assertThat(saved.exit()).as(saved.err()).isZero();
            assertThat(saved.err()).contains("cli-env:v1: ACTIVE");
            assertThat(atelier(server, "image", "list").out()).contains("cli-env");
            await().atMost(java.time.Duration.ofSeconds(60)).until(() -> atelier(server, "show", id).out()
                    .contains("RUNNING"));

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
    void aWorkspaceIsCreatedListedAndGivenAQuotaThatACreateInItThenMeetsFromTheCommandLine() throws Exception {
        try (TestServer server = TestServer.of(dir.resolve("data"), null, "/nonexistent/jupyter-server")) {
            Run created = atelier(server, "workspace", "create", "team-ws", "--description", "the team's");
            assertThat(created.exit()).as(created.err()).isZero();
            String ws = created.out().trim();
            assertThat(ws).isNotBlank().isNotEqualTo("0");
            Run list = atelier(server, "workspace", "list");
            assertThat(list.out()).containsPattern("ID +NAME +OWNER").containsPattern(ws + " +team-ws +")
                    .containsPattern("\\n0 +default +");
            assertThat(atelier(server, "workspace", "show", ws, "-o", "json").out()).contains("\"the team's\"");

            Run set = atelier(server, "workspace", "quota", ws, "--set", "1");
            assertThat(set.exit()).as(set.err()).isZero();
            assertThat(set.out()).containsPattern("notebook.instances +1 +0");
            assertThat(atelier(server, "create", "in-ws", "--workspace", ws).exit()).isZero();
            assertThat(atelier(server, "workspace", "quota", ws).out()).containsPattern("notebook.instances +1 +1");
            Run over = atelier(server, "create", "in-ws-2", "--workspace", ws);
            assertThat(over.exit()).isEqualTo(1);
            assertThat(over.err()).contains("ModelArts.0113");

            Run unknown = atelier(server, "workspace", "show", "no-such-workspace");
            assertThat(unknown.exit()).isEqualTo(1);
            assertThat(unknown.err()).startsWith("atelier: ").doesNotContain("Exception");
        }
    }

    @Test
    void keyPairsAndImagesAreManagedAndAnInstanceIsReachedOverSshFromTheCommandLine() throws Exception {
        try (TestServer server = TestServer.sqlite(dir.resolve("data"))) {
            Path key = dir.resolve("laptop");
            assertThat(new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()).start()
                    .waitFor()).isZero();
            Run added = atelier(server, "keypair", "add", "laptop", key + ".pub");
            assertThat(added.exit()).as(added.err()).isZero();
            assertThat(added.out()).startsWith("laptop SHA256:");
            assertThat(atelier(server, "keypair", "list").out()).containsPattern("laptop +SHA256:");

            Run created = atelier(server, "notebook", "create", "reachable", "--ssh-key", "laptop", "--ssh-allow",
                    "127.0.0.1", "--wait");
            assertThat(created.exit()).as(created.err()).isZero();
            String id = created.out().trim();
            Run printed = atelier(server, "notebook", "ssh", id, "--print");
            assertThat(printed.out().trim()).isEqualTo("ssh -p " + server.sshPort() + " " + id + "@127.0.0.1");
            Run ran = atelier(server, "notebook", "ssh", id, "-i", key.toString(), "-O", "StrictHostKeyChecking=no",
                    "-O", "UserKnownHostsFile=/dev/null", "-O", "BatchMode=yes", "-O", "LogLevel=ERROR", "--",
                    "echo", "hello-from-the-cli");
            assertThat(ran.exit()).as(ran.err()).isZero();
            assertThat(ran.out()).contains("hello-from-the-cli");

            assertThat(atelier(server, "image", "list").out()).containsPattern("debian-jupyter +12 +ACTIVE");
            Run registered = atelier(server, "image", "register", "team/pandas-env:1.0");
            assertThat(registered.exit()).as(registered.err()).isZero();
            String image = registered.out().trim().split(" ")[0];
            assertThat(atelier(server, "image", "list", "--name", "pandas").out()).contains(image);
            Run deleted = atelier(server, "image", "delete", image);
            assertThat(deleted.exit()).as(deleted.err()).isZero();
            assertThat(deleted.out().trim()).isEqualTo(image + " deleted");
            assertThat(atelier(server, "keypair", "delete", "nobody").exit()).isEqualTo(1);
        }
    }

    @Test
    void aBrokenOrExposedProfilesFileAndABadLoginAddressAreEachSaidInOneSentence() throws Exception {
        Path config = dir.resolve("broken/profiles.json");
        java.nio.file.Files.createDirectories(config.getParent());
        String key = "\"url\":\"http://127.0.0.1:1\",\"project_id\":\"p\",\"access_key\":\"A\",\"secret_key\":\"S\"";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"profiles\":", "is not valid JSON");
        cases.put("{\"profiles\":{\"default\":{\"url\":\"http://127.0.0.1:1\"}}}", "lacks its url, access_key or secret_key");
        cases.put("{\"profiles\":{\"default\":{" + key + "}}}", "others may read it");
        for (var c : cases.entrySet()) {
            java.nio.file.Files.writeString(config, c.getKey());
            java.nio.file.Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions
                    .fromString(c.getValue().contains("others") ? "rw-r--r--" : "rw-------"));
            Process list = ServeProcess.java(dir, Map.of("ATELIER_CONFIG", config.toString()), false, List.of(
                    "notebook", "list", "--data-dir", dir.resolve("nowhere").toString()));
            String err = new String(list.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(list.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(list.exitValue()).as(err).isEqualTo(2);
            assertThat(err).as(c.getKey()).startsWith("atelier: the profiles file").contains(c.getValue())
                    .doesNotContain("Exception").doesNotContain("Source:").doesNotContain("\tat ");
        }
        Process login = ServeProcess.java(dir, Map.of("ATELIER_CONFIG", config.toString()), false, List.of("login",
                "--url", "not a url", "--user", "u", "--project", "p", "--password-stdin"));
        login.getOutputStream().write("pw\n".getBytes(StandardCharsets.UTF_8));
        login.getOutputStream().close();
        String err = new String(login.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(login.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(login.exitValue()).isEqualTo(2);
        assertThat(err).contains("must be http:// or https:// with a host").doesNotContain("Illegal character");
        for (List<String> odd : List.of(List.of("notebook", "renew", "x", "--hours", "1000"),
                List.of("notebook", "delete", "x", "--wait", "--timeout", "-5"))) {
            Process p = ServeProcess.java(dir, Map.of(), false, odd);
            String said = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("refused before anything is sent: " + odd).isEqualTo(2);
            assertThat(said).contains("must be a whole number of");
        }
    }

    @Test
    void loginKeepsAnOwnerOnlyProfileThatTheOtherCommandsUse() throws Exception {
        try (TestServer server = TestServer.sqlite(dir.resolve("data"))) {
            Path config = dir.resolve("config/profiles.json");
            var creds = server.credentials();
            Process login = ServeProcess.java(dir, Map.of("ATELIER_CONFIG", config.toString()), false, List.of("login",
                    "--url", server.url(), "--user", creds.get("user_name").asText(), "--profile", "work",
                    "--project", creds.get("project_name").asText(), "--password-stdin"));
            login.getOutputStream().write((creds.get("password").asText() + "\n").getBytes(StandardCharsets.UTF_8));
            login.getOutputStream().close();
            String said = new String(login.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(login.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(login.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(login.exitValue()).as(err).isZero();
            assertThat(said).contains("profile work written to " + config);
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files
                    .getPosixFilePermissions(config))).isEqualTo("rw-------");
            String kept = java.nio.file.Files.readString(config);
            assertThat(kept).contains("\"access_key\"").doesNotContain(creds.get("password").asText())
                    .doesNotContain(creds.get("secret_key").asText()); // a key of its own, not the data dir's

            Process list = ServeProcess.java(dir, Map.of("ATELIER_CONFIG", config.toString()), false, List.of(
                    "notebook", "list", "--profile", "work", "--data-dir", dir.resolve("elsewhere").toString()));
            String table = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(list.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(list.exitValue()).isZero();
            assertThat(table).contains("0 in all");

            Process wrong = ServeProcess.java(dir, Map.of("ATELIER_CONFIG", config.toString()), false, List.of("login",
                    "--url", server.url(), "--user", creds.get("user_name").asText(), "--project",
                    creds.get("project_name").asText(), "--password-stdin"));
            wrong.getOutputStream().write("not-the-password\n".getBytes(StandardCharsets.UTF_8));
            wrong.getOutputStream().close();
            String refused = new String(wrong.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(wrong.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(wrong.exitValue()).isEqualTo(1);
            assertThat(refused).startsWith("atelier: ").doesNotContain("\tat ");
            assertThat(java.nio.file.Files.readString(config)).as("a failed login changes nothing").isEqualTo(kept);

            Process elsewhere = ServeProcess.java(dir, Map.of("ATELIER_CONFIG", config.toString()), false, List.of(
                    "login", "--url", server.url() + "/console", "--user", creds.get("user_name").asText(),
                    "--project", creds.get("project_name").asText(), "--password-stdin"));
            elsewhere.getOutputStream().write((creds.get("password").asText() + "\n").getBytes(StandardCharsets.UTF_8));
            elsewhere.getOutputStream().close();
            String notApi = new String(elsewhere.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(elsewhere.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(elsewhere.exitValue()).as("an address that is not the API's is not a refusal: " + notApi)
                    .isEqualTo(2);
            assertThat(notApi).contains("not an answer of the Atelier API").doesNotContain("<html");
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
    @Test
    void aBrokenCredentialsFileABadAddressAndAnAddressThatIsNotTheApiAreSaidInASentence() throws Exception {
        try (TestServer server = TestServer.sqlite(dir.resolve("data"))) {
            Path notJson = java.nio.file.Files.writeString(dir.resolve("not-json.json"), "{not json");
            Path noProject = java.nio.file.Files.writeString(dir.resolve("no-project.json"),
                    "{\"access_key\":\"a\",\"secret_key\":\"b\"}");
            String data = server.dataDir().toString();
            List<List<String>> commands = List.of(
                    List.of("notebook", "list", "--data-dir", data, "--url", server.url(), "--credentials",
                            notJson.toString()),
                    List.of("api", "GET", "/v1/{project_id}/notebooks", "--url", server.url(), "--credentials",
                            notJson.toString()),
                    List.of("notebook", "list", "--data-dir", data, "--url", server.url(), "--credentials",
                            noProject.toString()),
                    List.of("notebook", "list", "--data-dir", data, "--url", "not a url"),
                    List.of("notebook", "list", "--data-dir", data, "--url", server.url() + "/console/"));
            List<String> said = List.of("is not a credentials file", "is not a credentials file",
                    "has no project_id", "must be http:// or https://", "not an answer of the Atelier API");
            for (int i = 0; i < commands.size(); i++) {
                Process p = ServeProcess.java(dir, Map.of(), false, commands.get(i));
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(commands.get(i).toString()).isIn(1, 2);
                if (said.get(i).startsWith("not an answer")) {
                    assertThat(p.exitValue()).as("the API was not reached").isEqualTo(2);
                }
                assertThat(err.strip()).as(commands.get(i).toString()).startsWith("atelier: ").contains(said.get(i))
                        .doesNotContain("\n").doesNotContain("Exception").doesNotContain("<html");
                assertThat(out).isEmpty();
            }
            // a path without {project_id} needs no project: the request is sent (and refused for its made-up key)
            Process p = ServeProcess.java(dir, Map.of(), false, List.of("api", "GET", "/admin/v1/whoami", "--url",
                    server.url(), "--credentials", noProject.toString()));
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isEqualTo(1);
            assertThat(err).contains("ModelArts.0206").doesNotContain("project_id");
        }
    }
}
