package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javalin.Javalin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's HTTP relay between a real Javalin server and a notebook server that answers exactly as each test
 * needs (raw HTTP over a socket): it must pass answers on as they are and keep nothing of one request for the next.
 */
class HttpRelayTest {
    private final GatewayTraffic traffic = new GatewayTraffic();
    private final HttpRelay relay = new HttpRelay(traffic);
    private final HttpClient client = HttpClient.newHttpClient();
    private final Map<String, String> upstreamAnswers = new ConcurrentHashMap<>();
    private final List<String> upstreamRequests = new CopyOnWriteArrayList<>();
    private final List<Throwable> unanswered = new CopyOnWriteArrayList<>();
    private ServerSocket upstream;
    private Javalin server;

    @BeforeEach
    void start() throws IOException {
        upstream = new ServerSocket(0);
        Thread.ofVirtual().start(this::serveUpstream);
        server = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.host = "127.0.0.1";
            cfg.jetty.port = 0;
            cfg.routes.get("/*", ctx -> relay.send(ctx, relay.newRequest(URI.create("http://127.0.0.1:"
                            + upstream.getLocalPort() + ctx.path()), "GET"), response -> {
                        ctx.status(response.getStatus());
                        response.getHeaders().forEach(f -> { // as the gateway does: hop-by-hop headers stay
                            if (!f.is("Content-Length") && !f.is("Transfer-Encoding") && !f.is("Connection")) {
                                ctx.res().addHeader(f.getName(), f.getValue());
                            }
                        });
                    }, failure -> {
                        unanswered.add(failure);
                        ctx.status(502).result("no answer");
                    }));
        }).start();
    }

    @AfterEach
    void stop() throws IOException {
        server.stop();
        relay.close();
        upstream.close();
    }

    @Test
    void aCookieTheNotebookServerSetsIsNeverSentOnWithAnotherRequest() throws Exception {
        upstreamAnswers.put("/set", "HTTP/1.1 200 OK\r\nSet-Cookie: _xsrf=theirs; Path=/\r\nContent-Length: 2\r\n\r\nok");
        upstreamAnswers.put("/next", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(get("/set").headers().firstValue("Set-Cookie")).as("passed on to the client").hasValue(
                "_xsrf=theirs; Path=/");
        get("/next");
        assertThat(upstreamRequests).hasSize(2);
        assertThat(upstreamRequests.get(1).toLowerCase()).doesNotContain("cookie").doesNotContain("user-agent");
    }

    @Test
    void aCompressedBodyIsPassedOnAsItCameAndARedirectIsNotFollowed() throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write("compressed by the notebook server".getBytes(StandardCharsets.UTF_8));
        }
        upstreamAnswers.put("/gz", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.size()
                + "\r\n\r\n" + new String(gz.toByteArray(), StandardCharsets.ISO_8859_1));
        upstreamAnswers.put("/moved", "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n");
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(base() + "/gz")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(r.body()).isEqualTo(gz.toByteArray());
        HttpResponse<String> moved = get("/moved");
        assertThat(moved.statusCode()).isEqualTo(302);
        assertThat(moved.headers().firstValue("Location")).hasValue("/elsewhere");
        assertThat(upstreamRequests).noneMatch(req -> req.startsWith("GET /elsewhere"));
    }

    @Test
    void anAnswerBrokenOffMidwayCutsTheClientsConnectionInsteadOfEndingCleanly() throws Exception {
        // past what Jetty holds before it commits the answer, and within it (nothing has gone to the client yet)
        upstreamAnswers.put("/broken", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: 1000000\r\n\r\n" + "x".repeat(100_000) + "CLOSE");
        upstreamAnswers.put("/broken-early", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: 1000000\r\n\r\n" + "x".repeat(1_000) + "CLOSE");
        assertThatThrownBy(() -> get("/broken")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> get("/broken-early")).isInstanceOf(IOException.class);
        assertThat(unanswered).isEmpty();
    }

    @Test
    void aNotebookServerThatDoesNotAnswerIsReportedAndNothingElseIsSent() throws Exception {
        upstreamAnswers.put("/silent", "CLOSE");
        HttpResponse<String> r = get("/silent");
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).isEqualTo("no answer");
        assertThat(unanswered).hasSize(1);
    }

    @Test
    void aBigBodyArrivesWholeAndIsCounted() throws Exception {
        String body = "0123456789abcdef".repeat(1 << 18); // 4 MiB
        upstreamAnswers.put("/big", "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        HttpResponse<String> r = get("/big");
        assertThat(r.body()).isEqualTo(body);
        assertThat(traffic.bytesFromInstances()).isEqualTo(body.length());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String base() {
        return "http://127.0.0.1:" + server.port();
    }

    /** One answer per connection, as {@link #upstreamAnswers} has it for the path; "CLOSE" ends it there. */
    private void serveUpstream() {
        while (!upstream.isClosed()) {
            try (Socket s = upstream.accept()) {
                String head = readHead(s.getInputStream());
                upstreamRequests.add(head);
                String path = head.split(" ")[1];
                String answer = upstreamAnswers.getOrDefault(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
                answer = answer.replaceFirst("\r\n", "\r\nConnection: close\r\n"); // one request per connection
                int cut = answer.indexOf("CLOSE");
                OutputStream out = s.getOutputStream();
                out.write((cut < 0 ? answer : answer.substring(0, cut)).getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            } catch (IOException e) {
                // closed at the end of a test
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
