package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import dev.atelier.support.TestRuntime;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notebook gateway with real notebook servers: tokens and cookies, owners' credentials, same-site rules,
 * instances that are not running, a public URL, and a real browser. Runs with local processes and with Docker
 * containers behind it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class GatewayTest {
    static final String PUBLIC = "https://notebooks.example.com";
    @TempDir
    static Path dataDir;
    static TestServer server;
    static SignedClient api;
    static String a;
    static String b;
    static String tokenA;
    static String tokenB;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Where the instances behind the gateway run. */
    abstract TestRuntime runtime();

    @BeforeAll
    void twoRunningInstances() {
        server = TestServer.withPublicUrl(dataDir, PUBLIC, runtime());
        api = server.client();
        a = api.post("/v1/{project_id}/notebooks", TestServer.createBody("gw-a")).json().get("id").asText();
        b = api.post("/v1/{project_id}/notebooks", TestServer.createBody("gw-b")).json().get("id").asText();
        tokenA = running(a).get("token").asText();
        tokenB = running(b).get("token").asText();
    }

    @AfterAll
    void stop() {
        server.close();
    }

    static JsonNode running(String id) {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get("/v1/{project_id}/notebooks/" + id).json(),
                        n -> n.get("status").asText().equals("RUNNING"));
    }

    static String base(String id) {
        return server.url() + "/notebook/" + id + "/";
    }

    static HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(String method, String url, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Opens the notebook with its token and returns the cookie the gateway set, as "name=value". */
    static String cookieFor(String id, String token) throws Exception {
        HttpResponse<String> r = get(base(id) + "tree?token=" + token);
        assertThat(r.statusCode()).isEqualTo(302);
        String setCookie = r.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("atelier-notebook-" + id + "=")).findFirst().orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    @Test
    void theApiGivesTheGatewayUrlOnThePublicBase() {
        JsonNode nb = api.get("/v1/{project_id}/notebooks/" + a).json();
        assertThat(nb.get("url").asText()).isEqualTo(PUBLIC + "/notebook/" + a + "/tree");
        JsonNode legacy = api.get("/v1/{project_id}/demanager/instances/DE-" + a).json();
        assertThat(legacy.get("spec").get("annotations").get("url").asText())
                .isEqualTo(PUBLIC + "/notebook/" + a + "/tree");
    }

    @Test
    void theTokenOpensTheNotebookOnceAndACookieScopedToItsPathCarriesOn() throws Exception {
        HttpResponse<String> first = get(base(a) + "tree?token=" + tokenA);
        assertThat(first.statusCode()).isEqualTo(302);
        assertThat(first.headers().firstValue("Location")).contains("/notebook/" + a + "/tree");
        String setCookie = first.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("atelier-notebook-" + a + "=")).findFirst().orElseThrow();
        assertThat(setCookie).contains("Path=/notebook/" + a + "/").contains("HttpOnly").contains("Secure")
                .containsIgnoringCase("SameSite=Lax").doesNotContain(tokenA);

        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<String> page = get(base(a) + "tree", "Cookie", cookie);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Home");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("frame-ancestors"));
        assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");

        // the cookie of one instance, or its value under another's name, opens nothing else
        assertThat(get(base(b) + "api/status", "Cookie", cookie).statusCode()).isEqualTo(401);
        String moved = cookie.replace("atelier-notebook-" + a, "atelier-notebook-" + b);
        assertThat(get(base(b) + "api/status", "Cookie", moved).statusCode()).isEqualTo(401);
    }

    /**
     * A file uploaded in chunks through Jupyter's contents API (as JupyterLab uploads big files) and downloaded
     * from files/ arrives whole both ways; asked for gzip, the gateway compresses pages but not binaries.
     */
    @Test
    void aBigFileGoesUpInChunksAndComesBackWholeThroughTheGateway() throws Exception {
        byte[] data = new byte[12 << 20];
        new java.util.Random(3).nextBytes(data);
        int chunk = 4 << 20;
        for (int at = 0, n = 1; at < data.length; at += chunk, n++) {
            boolean last = at + chunk >= data.length;
            String body = "{\"type\":\"file\",\"format\":\"base64\",\"chunk\":" + (last ? -1 : n) + ",\"content\":\""
                    + java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(data, at,
                    Math.min(data.length, at + chunk))) + "\"}";
            HttpResponse<String> put = send("PUT", base(a) + "api/contents/big.bin", body, "Authorization",
                    "token " + tokenA, "Content-Type", "application/json");
            assertThat(put.statusCode()).as(put.body()).isIn(200, 201);
        }
        // a browser asks for gzip: a binary is sent as it is (gzip would only spend a core on it), a page is gzipped
        HttpResponse<byte[]> down = HTTP.send(HttpRequest.newBuilder(URI.create(base(a) + "files/big.bin"))
                .header("Authorization", "token " + tokenA).header("Accept-Encoding", "gzip").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(down.statusCode()).isEqualTo(200);
        assertThat(down.headers().firstValue("Content-Encoding")).isEmpty();
        HttpResponse<String> page = get(base(a) + "tree", "Authorization", "token " + tokenA, "Accept-Encoding",
                "gzip");
        assertThat(page.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(java.security.MessageDigest.getInstance("SHA-256").digest(down.body()))
                .isEqualTo(java.security.MessageDigest.getInstance("SHA-256").digest(data));
        send("DELETE", base(a) + "api/contents/big.bin", "", "Authorization", "token " + tokenA);
    }

    @Test
    void oneInstancesTokenNeverOpensAnother() throws Exception {
        assertThat(get(base(b) + "tree?token=" + tokenA).statusCode()).isEqualTo(401);
        assertThat(get(base(b) + "api/status", "Authorization", "token " + tokenA).statusCode()).isEqualTo(401);
        assertThat(get(base(b) + "api/status", "Authorization", "token " + tokenB).statusCode()).isEqualTo(200);
        HttpResponse<String> none = get(base(b) + "api/status");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.body()).contains("ModelArts.0201");
        HttpResponse<String> page = get(base(b) + "tree", "Accept", "text/html");
        assertThat(page.statusCode()).isEqualTo(401);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/html"));
        assertThat(page.body()).contains("token");
    }

    @Test
    void theOwnersApiCredentialsOpenItAndOtherMembersAreRefused() throws Exception {
        String project = api.projectId();
        String token = PlainClient.signIn(server.url(), "admin", server.credentials().get("password").asText(),
                project).subjectToken();
        assertThat(get(base(a) + "api/status", "X-Auth-Token", token).statusCode()).isEqualTo(200);
        assertThat(api.get("/notebook/" + a + "/api/status").status()).as("AK/SK signed").isEqualTo(200);
        SignedClient.Response saved = api.send("PUT", "/notebook/" + a + "/api/contents/signed.txt",
                "{\"type\":\"file\",\"format\":\"text\",\"content\":\"signed\"}");
        assertThat(saved.status()).as("a signed request with a body: " + saved.body()).isEqualTo(201);

        SignedClient bob = server.addUser("bob");
        HttpResponse<String> refused = get(base(a) + "api/status", "X-Auth-Token", "atl-not-a-token");
        assertThat(refused.statusCode()).isEqualTo(401);
        SignedClient.Response asBob = bob.get("/notebook/" + a + "/api/status");
        assertThat(asBob.status()).isEqualTo(403);
        assertThat(asBob.errorCode()).isEqualTo("ModelArts.0108");
    }

    @Test
    void cookieRequestsMustComeFromTheSameSite() throws Exception {
        String cookie = cookieFor(a, tokenA);
        String xsrf = "gateway-test-xsrf";
        String both = cookie + "; _xsrf=" + xsrf;
        String file = "{\"type\":\"file\",\"format\":\"text\",\"content\":\"hello\"}";
        assertThat(send("PUT", base(a) + "api/contents/x.txt", file, "Cookie", both).statusCode())
                .as("no X-XSRFToken").isEqualTo(403);
        assertThat(send("PUT", base(a) + "api/contents/x.txt", file, "Cookie", both, "X-XSRFToken", "other")
                .statusCode()).as("wrong X-XSRFToken").isEqualTo(403);
        assertThat(send("PUT", base(a) + "api/contents/x.txt", file, "Cookie", both, "X-XSRFToken", xsrf,
                "Origin", "https://evil.example.net").statusCode()).as("another site").isEqualTo(403);
        int port = URI.create(server.url()).getPort();
        assertThat(send("PUT", base(a) + "api/contents/x.txt", file, "Cookie", both, "X-XSRFToken", xsrf,
                "Origin", "http://127.0.0.1:" + (port + 1)).statusCode()).as("another port of this host")
                .isEqualTo(403);
        HttpResponse<String> saved = send("PUT", base(a) + "api/contents/x.txt", file, "Cookie", both,
                "X-XSRFToken", xsrf, "Content-Type", "application/json");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(201);

        // a WebSocket opened with the cookie from another site is refused before it is upgraded
        String kernel = new com.fasterxml.jackson.databind.ObjectMapper().readTree(send("POST",
                base(a) + "api/kernels", "{}", "Authorization", "token " + tokenA).body()).get("id").asText();
        String ws = base(a).replaceFirst("^http", "ws") + "api/kernels/" + kernel + "/channels";
        assertThatThrownBy(() -> HTTP.newWebSocketBuilder().header("Cookie", cookie)
                .header("Origin", "https://evil.example.net").buildAsync(URI.create(ws), new WebSocket.Listener() { })
                .get(10, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(
                        java.net.http.WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(403));
        WebSocket same = HTTP.newWebSocketBuilder().header("Cookie", cookie)
                .buildAsync(URI.create(ws), new WebSocket.Listener() { }).get(10, TimeUnit.SECONDS);
        same.abort();
        send("DELETE", base(a) + "api/kernels/" + kernel, "", "Authorization", "token " + tokenA);
    }

    @Test
    void jupyterClientsThatAppendTheTokenToApiCallsAreAnsweredDirectly() throws Exception {
        HttpResponse<String> listed = get(base(a) + "api/contents?token=" + tokenA);
        assertThat(listed.statusCode()).as("no redirect to a cookie the client would not send back").isEqualTo(200);
        assertThat(listed.body()).contains("\"type\": \"directory\"");
        HttpResponse<String> saved = send("PUT", base(a) + "api/contents/by-query-token.txt?token=" + tokenA,
                "{\"type\":\"file\",\"format\":\"text\",\"content\":\"q\"}", "Content-Type", "application/json");
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(201);
        assertThat(get(base(a) + "api/contents?token=" + tokenB).statusCode()).as("another's token").isEqualTo(401);
        assertThat(get(base(a) + "tree?token=" + tokenA).statusCode()).as("a page still redirects").isEqualTo(302);
    }

    @Test
    void aWebSocketTheNotebookServerWouldRefuseIsRefusedAtTheHandshake() {
        String ws = base(a).replaceFirst("^http", "ws") + "api/kernels/" + java.util.UUID.randomUUID()
                + "/channels?token=" + tokenA;
        assertThatThrownBy(() -> HTTP.newWebSocketBuilder().buildAsync(URI.create(ws), new WebSocket.Listener() { })
                .get(10, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(
                        java.net.http.WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isEqualTo(404));
        String tricked = base(a).replaceFirst("^http", "ws") + "api/kernels/%2e%2e/%2e%2e/channels?token=" + tokenA;
        assertThatThrownBy(() -> HTTP.newWebSocketBuilder().buildAsync(URI.create(tricked),
                new WebSocket.Listener() { }).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(java.net.http.WebSocketHandshakeException.class,
                        e -> assertThat(e.getResponse().statusCode()).isBetween(400, 499));
    }

    @Test
    void aRefusedUpgradeIsAnsweredWithAJsonErrorAndNoRequestOpensAServletSession() throws Exception {
        // a page is no WebSocket: a client error, said in the body, not a 502 to retry
        String page = upgrade("/notebook/" + a + "/tree?token=" + tokenA);
        assertThat(page).startsWith("HTTP/1.1 400").contains("X-Request-Id: ").contains("\"error_code\"")
                .contains("no WebSocket at this path").doesNotContain("Retry-After");
        String unknown = upgrade("/notebook/" + java.util.UUID.randomUUID() + "/api/kernels/k/channels");
        assertThat(unknown).startsWith("HTTP/1.1 404").contains("\"error_code\"");
        String asPage = upgrade("/notebook/" + java.util.UUID.randomUUID() + "/api/kernels/k/channels",
                "Accept: text/html");
        assertThat(asPage).startsWith("HTTP/1.1 404").contains("<h1>Not available</h1>");
        for (String path : List.of("/v1/x", "/console/", "/notebook/" + a + "/api/status")) {
            assertThat(upgrade(path)).as(path).doesNotContainIgnoringCase("JSESSIONID");
        }
    }

    /** What the server answers a WebSocket upgrade of {@code path}, status line, headers and body. */
    static String upgrade(String path, String... headers) throws Exception {
        URI url = URI.create(server.url());
        try (java.net.Socket s = new java.net.Socket(url.getHost(), url.getPort())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + url.getAuthority() + "\r\n"
                    + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: close\r\n"
                    + String.join("", java.util.Arrays.stream(headers).map(h -> h + "\r\n").toList()) + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            StringBuilder answer = new StringBuilder();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = s.getInputStream().read(buf)) > 0; ) {
                    answer.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8));
                    int head = answer.indexOf("\r\n\r\n");
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)")
                            .matcher(answer);
                    if (head > 0 && m.find() && answer.length() >= head + 4 + Integer.parseInt(m.group(1))) {
                        break;
                    }
                }
            } catch (java.net.SocketTimeoutException e) {
                // what came is the answer
            }
            return answer.toString();
        }
    }

    @Test
    void aStopOrDeletionReachesTheGatewayBeforeItsCallReturns() throws Exception {
        String c = api.post("/v1/{project_id}/notebooks", TestServer.createBody("gw-c")).json().get("id").asText();
        String tokenC = running(c).get("token").asText();
        assertThat(get(base(c) + "api/status", "Authorization", "token " + tokenC).statusCode()).isEqualTo(200);

        api.post("/v1/{project_id}/notebooks/" + c + "/stop", null);
        HttpResponse<String> stopping = get(base(c) + "api/status", "Authorization", "token " + tokenC);
        assertThat(stopping.statusCode()).isEqualTo(503);
        assertThat(stopping.body()).contains("ModelArts.6327").contains("STOPPING");
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks/" + c).json()
                .get("status").asText().equals("STOPPED"));
        HttpResponse<String> json = get(base(c) + "api/status", "Authorization", "token " + tokenC);
        assertThat(json.statusCode()).isEqualTo(503);
        assertThat(json.body()).contains("ModelArts.6327").contains("STOPPED");
        HttpResponse<String> page = get(base(c) + "tree?token=" + tokenC, "Accept", "text/html");
        assertThat(page.statusCode()).isEqualTo(503);
        assertThat(page.body()).contains("STOPPED").contains("start it");

        api.delete("/v1/{project_id}/notebooks/" + c);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/v1/{project_id}/notebooks/" + c).status() == 400);
        assertThat(get(base(c) + "api/status", "Authorization", "token " + tokenC).statusCode()).isEqualTo(404);
    }

    @Test
    void chromiumOpensTheNotebookTreeThroughTheGatewayWithTheToken() throws Exception {
        Path chromium = Path.of("/usr/bin/chromium");
        assertThat(chromium).as("Debian's chromium (installed by .ci/run)").isExecutable();
        Jupyter jupyter = new Jupyter(base(a) + "tree", tokenA);
        assertThat(jupyter.execute("open('seen-through-the-gateway.txt', 'w').write('hi')")).isEmpty();
        Path shot = dataDir.resolve("tree.png");
        String url = base(a) + "tree?token=" + tokenA;
        List<String> common = List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + dataDir.resolve("chromium-profile"),
                "--virtual-time-budget=8000", "--window-size=1280,800");
        Process dump = new ProcessBuilder(concat(common, "--dump-dom", url)).redirectErrorStream(false).start();
        String dom = new String(dump.getInputStream().readAllBytes());
        assertThat(dump.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(dom).contains("notebook_list").contains("seen-through-the-gateway.txt");
        Process screenshot = new ProcessBuilder(concat(common, "--screenshot=" + shot, url))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(screenshot.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(shot).isRegularFile();
        assertThat(Files.size(shot)).as("a rendered page, not a blank one").isGreaterThan(10_000);
        Files.copy(shot, Path.of("target", "gateway-tree-" + runtime().name().toLowerCase(java.util.Locale.ROOT)
                + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    static List<String> concat(List<String> a, String... more) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(List.of(more));
        return all;
    }
}

class LocalGatewayTest extends GatewayTest {
    @Override
    TestRuntime runtime() {
        return TestRuntime.LOCAL;
    }
}

class ContainerGatewayTest extends GatewayTest {
    @Override
    TestRuntime runtime() {
        return TestRuntime.DOCKER;
    }
}

class PodGatewayTest extends GatewayTest {
    @Override
    TestRuntime runtime() {
        return TestRuntime.KUBERNETES;
    }
}
