package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.auth.SdkHmacSha256;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Thousands of generated malformed requests over every route, sent on raw sockets (so that nothing a client library
 * would refuse to send is left out), half of them correctly signed so that they get past authentication into the
 * handlers. Every answer must be a ModelArts-shaped JSON error or a JSON success: never a 5xx, an HTML page, a
 * stack trace or a parser's class name; the server logs no error for them and stays healthy.
 * {@code ATELIER_FUZZ_REQUESTS} and {@code ATELIER_FUZZ_SEED} make longer or other runs.
 */
class HostileRequestsFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> LEAKS = List.of("com.fasterxml", "jackson", "org.eclipse", "io.javalin",
            "java.lang", "java.io", "Exception", "\tat ", "<html", "<!DOCTYPE", "DeserializationFeature",
            "JsonReadFeature", "StreamReadConstraints", "JsonNode");
    private static final String ID = "5d0c0c44-98fc-4c14-9afb-f4c8996fb924";
    private static final List<String> ROUTES = List.of(
            "GET /v1/{p}/notebooks", "POST /v1/{p}/notebooks", "GET /v1/{p}/notebooks/all",
            "GET /v1/{p}/notebooks/{id}", "PUT /v1/{p}/notebooks/{id}", "DELETE /v1/{p}/notebooks/{id}",
            "POST /v1/{p}/notebooks/{id}/start", "POST /v1/{p}/notebooks/{id}/stop",
            "GET /v1/{p}/notebooks/{id}/lease", "PATCH /v1/{p}/notebooks/{id}/lease",
            "GET /v1/{p}/notebooks/{id}/flavors", "POST /v1/{p}/notebooks/{id}/tags/create",
            "DELETE /v1/{p}/notebooks/{id}/tags/delete", "POST /v1/{p}/notebooks/{id}/create-image",
            "POST /v1/{p}/notebooks/{id}/storage", "GET /v1/{p}/notebooks/{id}/storage",
            "GET /v1/{p}/notebooks/{id}/storage/{id}", "DELETE /v1/{p}/notebooks/{id}/storage/{id}",
            "GET /v1/{p}/notebooks/flavors", "GET /v1/{p}/notebooks/tags", "GET /v1/{p}/authoring/features/NOTEBOOK",
            "GET /v1/{p}/images", "POST /v1/{p}/images", "GET /v1/{p}/images/{id}", "DELETE /v1/{p}/images/{id}",
            "POST /v1/{p}/images/{id}/sync", "GET /v1/{p}/images/group", "PUT /v1/{p}/images/group/{id}",
            "GET /v1/{p}/demanager/instances", "POST /v1/{p}/demanager/instances",
            "GET /v1/{p}/demanager/instances/DE-{id}", "PUT /v1/{p}/demanager/instances/DE-{id}",
            "DELETE /v1/{p}/demanager/instances/DE-{id}", "POST /v1/{p}/demanager/instances/DE-{id}/action",
            "GET /v1/{p}/demanager/instances/DE-{id}/token", "POST /v3/auth/tokens", "GET /v3/{p}/keypairs",
            "POST /v3/{p}/keypairs", "GET /v3/{p}/keypairs/k1", "DELETE /v3/{p}/keypairs/k1",
            "GET /admin/v1/whoami", "GET /admin/v1/users", "POST /admin/v1/users", "PUT /admin/v1/users/u1",
            "POST /admin/v1/users/u1/keys", "POST /admin/v1/projects", "PUT /admin/v1/projects/{p}/members/u1",
            "GET /admin/v1/audit", "GET /notebook/{id}/tree", "GET /notebook/{id}/api/contents",
            "POST /notebook/{id}/api/kernels", "GET /health/live", "GET /health/ready");
    private static final List<String> PATH_TRICKS = List.of("%u002e", "%", "%zz", "%00", "..", "%2e%2e", "%2f",
            "//", ";x=1", "%E2%80%AE", "\u00e9", "%C0%AE", "~", "a".repeat(3000), "%25", "%u", "*", "DE-", "%20");
    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS",
            "TRACE", "CONNECT", "PROPFIND", "FOO", "get");

    @TempDir
    Path dataDir;

    @Test
    void generatedMalformedRequestsOverEveryRouteGetJsonErrorsAndNothingBreaks() throws Exception {
        int count = Integer.parseInt(System.getenv().getOrDefault("ATELIER_FUZZ_REQUESTS", "3000"));
        long seed = Long.parseLong(System.getenv().getOrDefault("ATELIER_FUZZ_SEED", "7"));
        Random random = new Random(seed);
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        // a generous address limit: the fuzzer's failures would otherwise soon get 429 for everything
        try (TestServer server = TestServer.withSignInLimits(dataDir, 10, 1_000_000)) {
            SignedClient api = server.client();
            URI url = URI.create(server.url());
            String project = api.projectId();
            JsonNode creds = server.credentials();
            byte[] secret = creds.get("secret_key").asText().getBytes(StandardCharsets.UTF_8);
            Map<Integer, Integer> statuses = new java.util.TreeMap<>();
            for (int i = 0; i < count; i++) {
                String[] route = ROUTES.get(random.nextInt(ROUTES.size())).split(" ");
                String method = random.nextInt(4) == 0 ? METHODS.get(random.nextInt(METHODS.size())) : route[0];
                String path = mutatePath(random, route[1].replace("{p}", project).replace("{id}", ID));
                String query = random.nextInt(3) == 0 ? mutateQuery(random) : null;
                byte[] body = random.nextInt(3) == 0 ? new byte[0] : mutateBody(random);
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put("Host", url.getHost() + ":" + url.getPort());
                headers.put("Content-Type", random.nextInt(8) == 0 ? "text/plain; charset=latin1" : "application/json");
                if (random.nextBoolean()) {
                    sign(headers, secret, creds.get("access_key").asText(), method, path, query, body);
                } else {
                    junkCredentials(random, headers);
                }
                boolean chunked = random.nextInt(6) == 0;
                byte[] raw = request(random, method, path, query, headers, body, chunked);
                String label = i + ": " + new String(raw, 0, Math.min(raw.length, 300), StandardCharsets.ISO_8859_1);
                Answer answer = exchange(url, raw);
                statuses.merge(answer.status, 1, Integer::sum);
                check(label, method, answer, new String(raw, StandardCharsets.ISO_8859_1).split("\r\n", 2)[0]
                        .endsWith(" HTTP/1.1"));
            }
            assertThat(api.get("/v1/{project_id}/notebooks").status()).as("a normal request afterwards").isEqualTo(200);
            assertThat(exchange(url, ("GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)).status).isEqualTo(200);
            System.out.printf("fuzz requests=%d seed=%d statuses=%s%n", count, seed, statuses);
            assertThat(statuses.keySet()).as("a good share reached the handlers").contains(200, 400, 401, 404);
        } finally {
            root.detachAppender(logged);
        }
        List<String> errors = logged.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(errors).as("a client's mistakes are not the server's errors").isEmpty();
        long clientFaultLines = logged.list.stream().filter(e -> e.getLoggerName().endsWith("ClientFault")
                && e.getLevel().isGreaterOrEqual(Level.INFO)).count();
        assertThat(clientFaultLines).as("malformed requests are summed up, not logged one by one").isLessThanOrEqualTo(3);
    }

    @Test
    void eachMalformedRequestTheProbeFoundGetsItsPlainJsonError() throws Exception {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            URI url = URI.create(server.url());
            String p = server.client().projectId();
            String json = "Content-Type: application/json\r\n";
            Object[][] cases = {
                {"GET /notebook/%u002e/tree HTTP/1.1\r\n\r\n", 400, "malformed percent-encoding"},
                {"GET /v1/" + p + "/notebooks/%u002e HTTP/1.1\r\n\r\n", 401, "not authenticated"},
                {"POST /v3/auth/tokens HTTP/1.1\r\n" + json + "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
                    400, "malformed"},
                {"GET /v1/%00/notebooks HTTP/1.1\r\n\r\n", 400, "malformed"},
                {"GET /health/live HTTP/1.1\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n", 431, "headers are too large"},
                {"GET /v1/" + "u".repeat(20_000) + " HTTP/1.1\r\n\r\n", 414, "URI is too long"},
                {"CONNECT example.com:443 HTTP/1.1\r\n\r\n", 400, "malformed"},
                {"NOT A REQUEST LINE\r\n\r\n", 400, "malformed"},
                {"GET /health/live HTTP/1.2\r\n\r\n", 505, "HTTP version is not supported"},
                {"POST /v3/auth/tokens HTTP/1.1\r\n" + json + "Content-Length: 9\r\n\r\n{\"a\":NaN}", 400,
                    "NaN and Infinity are not JSON numbers"},
                {"POST /v3/auth/tokens HTTP/1.1\r\n" + json + "Content-Length: 5\r\n\r\n{} {}", 400,
                    "there is more after its value"},
                {"POST /v3/auth/tokens HTTP/1.1\r\n" + json + "Content-Length: 400\r\n\r\n" + "[".repeat(200)
                    + "]".repeat(200), 400, "nested too deeply"},
            };
            for (Object[] c : cases) {
                String request = ((String) c[0]).replaceFirst("\r\n", "\r\nHost: x\r\nConnection: close\r\n");
                Answer a = exchange(url, request.getBytes(StandardCharsets.ISO_8859_1));
                String label = request.substring(0, Math.min(80, request.length()));
                assertThat(a.status).as(label).isEqualTo(c[1]);
                check(label, "GET", a, !request.contains("HTTP/1.2"));
                assertThat(JSON.readTree(a.body).get("error_msg").asText()).as(label).contains((String) c[2]);
            }
        }
    }

    private static void check(String label, String method, Answer a, boolean http11) {
        if (http11) {
            assertThat(a.status).as(label).isBetween(200, 499);
        } else { // HTTP/2.0 as a text request line, HTTP/9.9: 505 is the answer, still in JSON
            assertThat(a.status).as(label).isBetween(200, 505).isNotEqualTo(500);
        }
        assertThat(a.headers.get("x-request-id")).as(label).isNotBlank();
        for (String leak : LEAKS) {
            assertThat(a.body).as(label).doesNotContain(leak);
        }
        if (method.equals("HEAD") || a.status == 204 || a.status == 302) {
            return;
        }
        assertThat(a.headers.get("content-type")).as(label + "\n" + a.body).startsWith("application/json");
        JsonNode json;
        try {
            json = JSON.readTree(a.body);
        } catch (IOException e) {
            throw new AssertionError(label + ": not JSON: " + a.body, e);
        }
        if (a.status >= 400) {
            assertThat(json.path("error_code").asText()).as(label + "\n" + a.body).startsWith("ModelArts.");
            assertThat(json.path("error_msg").asText()).as(label).isNotBlank();
        }
    }

    private static String mutatePath(Random r, String path) {
        if (r.nextInt(3) == 0) {
            return path;
        }
        List<String> segments = new ArrayList<>(List.of(path.split("/", -1)));
        int at = 1 + r.nextInt(segments.size() - 1);
        String trick = PATH_TRICKS.get(r.nextInt(PATH_TRICKS.size()));
        switch (r.nextInt(3)) {
            case 0 -> segments.set(at, trick);
            case 1 -> segments.set(at, segments.get(at) + trick);
            default -> segments.add(at, trick);
        }
        return String.join("/", segments);
    }

    private static String mutateQuery(Random r) {
        List<String> q = List.of("limit=-1", "limit=999999999999", "offset=abc", "status=%u0041", "name=%",
                "sort_key=;drop", "limit=1&limit=2", "duration=NaN", "type=timing&duration=1e99", "token=%00",
                "since=2026-13-45", "=", "&&&", "name=" + "x".repeat(5000), "status=RUNNING,,", "feature=%zz");
        return q.get(r.nextInt(q.size()));
    }

    private static byte[] mutateBody(Random r) {
        String base = switch (r.nextInt(14)) {
            case 0 -> "{\"name\":\"n\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"x\",\"volume\":{\"category\":\"EVS\","
                    + "\"ownership\":\"MANAGED\",\"capacity\":5}}";
            case 1 -> "{\"name\":NaN}";
            case 2 -> "{\"a\":1} {\"b\":2}";
            case 3 -> "[".repeat(5000) + "]".repeat(5000);
            case 4 -> "{\"name\":" + "9".repeat(2000) + "}";
            case 5 -> "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":[1],"
                    + "\"password\":{}}}}}}";
            case 6 -> "{\"volume\":{\"capacity\":1.5e308},\"lease\":{\"duration\":-1}}";
            case 7 -> "\"just a string\"";
            case 8 -> "{\"name\":\"\\ud800\"}";
            case 9 -> "{\"tags\":[{\"key\":null,\"value\":{}}],\"endpoints\":[1,2]}";
            case 10 -> "{\"action\":\"" + "x".repeat(100) + "\"}";
            case 11 -> "{\"keypair\":{\"name\":\"k\",\"public_key\":\"ssh-rsa AAAA\\u0000\"}}";
            case 12 -> "{'single':'quotes', trailing:,}";
            default -> "";
        };
        byte[] bytes = base.getBytes(StandardCharsets.UTF_8);
        if (r.nextInt(4) == 0 && bytes.length > 2) {
            bytes = java.util.Arrays.copyOf(bytes, r.nextInt(bytes.length)); // cut short
        }
        if (r.nextInt(6) == 0) {
            byte[] noise = new byte[1 + r.nextInt(64)];
            r.nextBytes(noise); // not even UTF-8
            return noise;
        }
        return bytes;
    }

    private static void junkCredentials(Random r, Map<String, String> h) {
        switch (r.nextInt(6)) {
            case 0 -> h.put("Authorization", "SDK-HMAC-SHA256 Access=" + "A".repeat(20) + ", SignedHeaders=x-sdk-date, "
                    + "Signature=" + "0".repeat(64));
            case 1 -> h.put("Authorization", "SDK-HMAC-SHA256 Access=%u002e, SignedHeaders=;;;, Signature=zz");
            case 2 -> h.put("X-Auth-Token", "atl-" + "x".repeat(r.nextInt(200)));
            case 3 -> h.put("Authorization", "Bearer \u00ff\u00fe");
            case 4 -> {
                h.put("Authorization", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=00");
                h.put("X-Sdk-Date", "99999999T999999Z");
            }
            default -> { }
        }
    }

    private static void sign(Map<String, String> h, byte[] secret, String accessKey, String method, String path,
                             String query, byte[] body) {
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(java.time.format.DateTimeFormatter.ofPattern(
                "yyyyMMdd'T'HHmmss'Z'", Locale.ROOT));
        h.put("X-Sdk-Date", date);
        List<String> signed = List.of("content-type", "host", "x-sdk-date");
        Map<String, String> lower = new LinkedHashMap<>();
        h.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
        try {
            String canonical = SdkHmacSha256.canonicalRequest(method, path, query, signed, lower::get,
                    SdkHmacSha256.sha256Hex(body));
            String signature = SdkHmacSha256.signature(secret, SdkHmacSha256.stringToSign(date, canonical));
            h.put("Authorization", "SDK-HMAC-SHA256 Access=" + accessKey + ", SignedHeaders="
                    + String.join(";", signed) + ", Signature=" + signature);
        } catch (IllegalArgumentException e) {
            // a path the signer cannot read (a bad escape): sent with a signature that cannot hold
            h.put("Authorization", "SDK-HMAC-SHA256 Access=" + accessKey + ", SignedHeaders="
                    + String.join(";", signed) + ", Signature=" + "ab".repeat(32));
        }
    }

    private static byte[] request(Random r, String method, String path, String query, Map<String, String> headers,
                                  byte[] body, boolean chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String version = r.nextInt(40) == 0 ? List.of("HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1 x").get(r.nextInt(4))
                : "HTTP/1.1";
        out.writeBytes((method + " " + path + (query == null ? "" : "?" + query) + " " + version + "\r\n")
                .getBytes(StandardCharsets.UTF_8));
        headers.forEach((k, v) -> out.writeBytes((k + ": " + v + "\r\n").getBytes(StandardCharsets.UTF_8)));
        if (r.nextInt(30) == 0) {
            out.writeBytes(("X-Huge: " + "h".repeat(20_000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("Connection: close\r\n".getBytes(StandardCharsets.US_ASCII));
        if (chunked) {
            out.writeBytes("Transfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String size = r.nextInt(3) == 0 ? "zz" : Integer.toHexString(body.length);
            out.writeBytes((size + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(body);
            out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            out.writeBytes(("Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(body);
        }
        return out.toByteArray();
    }

    private record Answer(int status, Map<String, String> headers, String body) {
    }

    /** Sends the bytes on a connection of their own and reads the answer to its end (Connection: close). */
    private static Answer exchange(URI url, byte[] raw) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5000);
            s.setSoTimeout(15_000);
            s.getOutputStream().write(raw);
            s.getOutputStream().flush();
            byte[] all = readAll(s.getInputStream());
            String text = new String(all, StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            assertThat(end).as("a complete HTTP answer to " + new String(raw, 0, Math.min(200, raw.length),
                    StandardCharsets.ISO_8859_1) + ": " + text).isPositive();
            String[] lines = text.substring(0, end).split("\r\n");
            int status = Integer.parseInt(lines[0].split(" ")[1]);
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
            String body = text.substring(end + 4);
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                body = dechunk(body);
            }
            return new Answer(status, headers, body);
        }
    }

    /** Reads to the end of the stream, or of the answer's Content-Length (a CONNECT's connection stays open). */
    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.write(buf, 0, n);
                String text = out.toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)\r\ncontent-length: *(\\d+)")
                        .matcher(end < 0 ? "" : text.substring(0, end));
                if (length.find() && out.size() >= end + 4 + Integer.parseInt(length.group(1))) {
                    break;
                }
            }
        } catch (java.net.SocketException e) {
            // reset after the answer was sent (the server closes on a body it did not read): what came is kept
        }
        return out.toByteArray();
    }

    private static String dechunk(String s) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (at < s.length()) {
            int eol = s.indexOf("\r\n", at);
            if (eol < 0) {
                break;
            }
            int size = Integer.parseInt(s.substring(at, eol).trim(), 16);
            if (size == 0) {
                break;
            }
            out.append(s, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
        return out.toString();
    }
}
