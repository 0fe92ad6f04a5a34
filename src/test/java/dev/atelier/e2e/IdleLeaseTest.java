package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An idle lease stops an instance nobody uses. Use is what people mean by it: SSH traffic, code sent, a kernel
 * computing with nobody attached; not an open browser tab polling on its own.
 */
class IdleLeaseTest {
    @TempDir
    Path dataDir;
    @TempDir
    Path keys;

    @Test
    void sshTrafficKeepsAnIdleLeaseFromRunningOutAndSilenceEndsIt() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", keys.resolve("k").toString())
                    .start().waitFor(30, TimeUnit.SECONDS);
            api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"k\",\"public_key\":\""
                    + Files.readString(keys.resolve("k.pub")).trim() + "\"}}");
            String body = TestServer.createBody("idle").replace("\"type\":\"timing\"", "\"type\":\"idle\"")
                    .replaceFirst("\\}$", ",\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"k\"]}]}");
            String id = api.post("/v1/{project_id}/notebooks", body).json().get("id").asText();
            StartStopLeaseTest.awaitStatus(api, id, "RUNNING");

            server.clock().advance(Duration.ofMinutes(50));
            Process ssh = new ProcessBuilder(List.of("ssh", "-i", keys.resolve("k").toString(), "-p",
                    Integer.toString(server.sshPort()), "-o", "StrictHostKeyChecking=no", "-o",
                    "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
                    id + "@127.0.0.1", "echo busy")).redirectErrorStream(true).start();
            assertThat(new String(ssh.getInputStream().readAllBytes())).contains("busy");
            server.clock().advance(Duration.ofMinutes(20)); // 70 minutes since start, 20 since the SSH command
            Thread.sleep(2_000); // a few health polls
            assertThat(api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText())
                    .as("used 20 minutes ago over SSH").isEqualTo("RUNNING");

            server.clock().advance(Duration.ofMinutes(45)); // 65 minutes of silence
            await().atMost(Duration.ofSeconds(30)).until(() -> List.of("STOPPING", "STOPPED").contains(
                    api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText()));
            assertThat(StartStopLeaseTest.awaitStatus(api, id, "STOPPED").get("fail_reason").asText())
                    .contains("idle since");
        }
    }

    /** An instance with a one-hour idle lease, running; returns its show. */
    private static com.fasterxml.jackson.databind.JsonNode idleInstance(SignedClient api, String name) {
        String body = TestServer.createBody(name).replace("\"type\":\"timing\"", "\"type\":\"idle\"");
        String id = api.post("/v1/{project_id}/notebooks", body).json().get("id").asText();
        return StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
    }

    @Test
    void aKernelComputingWithNoClientAttachedIsUseAndTheSilenceAfterItIsNot() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            var shown = idleInstance(api, "computes");
            String id = shown.get("id").asText();
            Jupyter jupyter = new Jupyter(shown.get("url").asText(), shown.get("token").asText());
            jupyter.startAndLeave("import time; time.sleep(15)"); // returns once the kernel said it is busy
            long sent = System.nanoTime();
            // the code was sent an hour and more ago, by the lease's clock; the kernel still computes (whether
            // jupyter-server's own view of the kernel caught its "busy" or missed it: Atelier follows both)
            server.clock().advance(Duration.ofMinutes(61));
            Thread.sleep(2_000); // a few health polls
            assertThat(api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText())
                    .as("a busy kernel is use").isEqualTo("RUNNING");

            await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() - sent > 15_000_000_000L
                    && !jupyter.anyKernelBusy());
            Thread.sleep(1_000);
            server.clock().advance(Duration.ofMinutes(61)); // an hour of silence since the kernel was last busy
            assertThat(StartStopLeaseTest.awaitStatus(api, id, "STOPPED").get("fail_reason").asText())
                    .contains("idle since");
        }
    }

    @Test
    void codeRunningForAnAttachedClientIsUseWhileTheNotebookServerShowsItsKernelIdleAndUntilTheKernelIsDone()
            throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            var shown = idleInstance(api, "misread");
            String id = shown.get("id").asText();
            Jupyter jupyter = new Jupyter(shown.get("url").asText(), shown.get("token").asText());
            try (Jupyter.Running running = jupyter.startAndStay("import time; time.sleep(20)")) {
                long sent = System.nanoTime();
                // the kernel answers on its control channel, "idle", while its code runs on: so the server shows it
                jupyter.askOnControl(running.kernelId());
                await().atMost(Duration.ofSeconds(10)).until(() -> !jupyter.anyKernelBusy());
                server.clock().advance(Duration.ofMinutes(61));
                Thread.sleep(3_000); // health polls, each of which sees the kernel idle
                assertThat(api.get("/v1/{project_id}/notebooks/" + id).json().get("status").asText())
                        .as("the code its client sent is followed to the kernel's own end of it").isEqualTo("RUNNING");

                // the kernel says it is done after its 20 s: an hour of silence after that stops the instance
                await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() - sent > 21_000_000_000L);
                Thread.sleep(1_000);
                server.clock().advance(Duration.ofMinutes(61));
                assertThat(StartStopLeaseTest.awaitStatus(api, id, "STOPPED").get("fail_reason").asText())
                        .contains("idle since");
            }
        }
    }

    @Test
    void anOpenButUntouchedNotebookPageInABrowserDoesNotKeepAnIdleInstanceRunning() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/chromedriver")), "Debian's chromium-driver is installed");
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            var shown = idleInstance(api, "open-tab");
            String id = shown.get("id").asText();
            String tree = shown.get("url").asText();
            String notebook = new Jupyter(tree, shown.get("token").asText()).newNotebook();
            var options = new org.openqa.selenium.chrome.ChromeOptions();
            options.setBinary("/usr/bin/chromium");
            options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage");
            var service = new org.openqa.selenium.chrome.ChromeDriverService.Builder()
                    .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver")).build();
            var browser = new org.openqa.selenium.chrome.ChromeDriver(service, options);
            try {
                browser.get(tree + "?token=" + shown.get("token").asText()); // the tree, which lists every few s
                browser.switchTo().newWindow(org.openqa.selenium.WindowType.TAB);
                browser.get(tree.replaceFirst("tree$", "notebooks/" + notebook));
                await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.TRUE.equals(browser.executeScript(
                        "return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
                                + " && Jupyter.notebook.kernel.is_connected())")));
                Thread.sleep(3_000); // the pages settle: what they send now, they send unattended
                server.clock().advance(Duration.ofMinutes(61));
                assertThat(StartStopLeaseTest.awaitStatus(api, id, "STOPPED").get("fail_reason").asText())
                        .contains("idle since");
            } finally {
                browser.quit();
            }
        }
    }

    @Test
    void aClientThatOnlyPollsDoesNotKeepAnIdleInstanceRunning() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            var shown = idleInstance(api, "polled");
            String id = shown.get("id").asText();
            Jupyter jupyter = new Jupyter(shown.get("url").asText(), shown.get("token").asText());
            server.clock().advance(Duration.ofMinutes(31));
            // what a notebook UI left open polls (JupyterLab lists these every few seconds), through the gateway
            for (int n = 0; n < 5; n++) {
                for (String path : List.of("api/sessions", "api/kernels", "api/terminals", "api/contents")) {
                    assertThat(jupyter.get(path, true).statusCode()).isEqualTo(200);
                }
                Thread.sleep(300);
            }
            server.clock().advance(Duration.ofMinutes(31)); // 62 minutes since anyone did anything
            assertThat(StartStopLeaseTest.awaitStatus(api, id, "STOPPED").get("fail_reason").asText())
                    .contains("idle since");
        }
    }
}
