package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * --notebook-domain: every notebook on a host of its own, so that browsers keep instances' pages apart.
 * {@code *.localhost} names the loopback in Chromium; other requests name the host in their Host header.
 */
class GatewayDomainTest {
    @TempDir
    Path dataDir;

    /** A raw HTTP/1.1 GET with the given Host header; returns the status code and the body. */
    static String[] get(int port, String host, String path, String token) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: token " + token
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return new String[] {response.substring(9, 12), response};
        }
    }

    @Test
    void eachNotebookAnswersOnItsOwnHostOnly() throws Exception {
        try (TestServer server = TestServer.withNotebookDomain(dataDir, "nb.localhost")) {
            SignedClient api = server.client();
            String a = api.post("/v1/{project_id}/notebooks", TestServer.createBody("dom-a")).json().get("id").asText();
            String b = api.post("/v1/{project_id}/notebooks", TestServer.createBody("dom-b")).json().get("id").asText();
            var running = StartStopLeaseTest.awaitStatus(api, a, "RUNNING");
            StartStopLeaseTest.awaitStatus(api, b, "RUNNING");
            int port = URI.create(server.url()).getPort();
            String url = running.get("url").asText();
            assertThat(url).isEqualTo("http://" + a + ".nb.localhost:" + port + "/notebook/" + a + "/tree");
            String token = running.get("token").asText();

            assertThat(get(port, a + ".nb.localhost:" + port, "/notebook/" + a + "/api/status", token)[0])
                    .isEqualTo("200");
            assertThat(get(port, "127.0.0.1:" + port, "/notebook/" + a + "/api/status", token)[0])
                    .as("not on the server's own host").isEqualTo("404");
            assertThat(get(port, b + ".nb.localhost:" + port, "/notebook/" + a + "/api/status", token)[0])
                    .as("not on another instance's host").isEqualTo("404");

            Path chromium = Path.of("/usr/bin/chromium");
            assertThat(chromium).isExecutable();
            Process dump = new ProcessBuilder(List.of(chromium.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--no-first-run", "--user-data-dir=" + dataDir.resolve("profile"),
                    "--virtual-time-budget=8000", "--dump-dom", url + "?token=" + token)).start();
            String dom = new String(dump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(dump.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(dom).as("the tree page, on the instance's own host").contains("notebook_list");
        }
    }
}
