package dev.atelier.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.runtime.kubernetes.LayerPush.Reference;
import dev.atelier.support.TestRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adding a layer to an image through a registry's HTTP API: against Debian's docker-registry, behind a front that
 * asks for a bearer token as Docker Hub and Harbor do, handing one out for the configured credentials only.
 */
class LayerPushTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    @Test
    void referencesAreTakenApartAsDockerDoes() {
        assertThat(Reference.parse("python:3.12")).isEqualTo(new Reference("registry-1.docker.io", "library/python",
                "3.12"));
        assertThat(Reference.parse("jupyter/base-notebook")).isEqualTo(new Reference("registry-1.docker.io",
                "jupyter/base-notebook", "latest"));
        assertThat(Reference.parse("docker.io/jupyter/base-notebook:x")).isEqualTo(new Reference(
                "registry-1.docker.io", "jupyter/base-notebook", "x"));
        assertThat(Reference.parse("127.0.0.1:5000/team/a:v1")).isEqualTo(new Reference("127.0.0.1:5000", "team/a",
                "v1"));
        assertThat(Reference.parse("localhost/a@sha256:ab12")).isEqualTo(new Reference("localhost", "a",
                "sha256:ab12"));
        assertThat(Reference.parse("reg:5000/a/b:1@sha256:ab12")).as("the digest counts, the tag goes")
                .isEqualTo(new Reference("reg:5000", "a/b", "sha256:ab12"));
        assertThat(Reference.parse("registry.example.com:443/a/b/c")).isEqualTo(new Reference(
                "registry.example.com:443", "a/b/c", "latest"));
        assertThat(Reference.parse("127.0.0.1:5000/a:1").base()).isEqualTo("http://127.0.0.1:5000/v2/a");
        assertThat(Reference.parse("registry.example.com/a:1").base()).isEqualTo("https://registry.example.com/v2/a");
    }

    @Test
    void theBaseIsTheImageTheNodePulledByDigestAndACutShortTarIsNoLayer() throws Exception {
        assertThat(PodChanges.pinned("reg:5000/team/py:1", "docker-pullable://reg:5000/team/py@sha256:ab12"))
                .isEqualTo("reg:5000/team/py@sha256:ab12");
        assertThat(PodChanges.pinned("reg:5000/team/py", "reg:5000/team/py@sha256:ab12"))
                .isEqualTo("reg:5000/team/py@sha256:ab12");
        assertThat(PodChanges.pinned("reg:5000/team/py:1", "sha256:0f0f")).as("no repository digest")
                .isEqualTo("reg:5000/team/py:1");
        Path whole = dir.resolve("whole.tar");
        Files.write(whole, tar("a.txt", "a"));
        assertThat(PodChanges.whole(whole)).isTrue();
        Path cut = dir.resolve("cut.tar");
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(cut, java.util.Arrays.copyOf(bytes, 1024));
        assertThat(PodChanges.whole(cut)).isFalse();
    }

    @Test
    void aLayerGoesOnTheBaseThroughARegistryThatWantsABearerTokenForTheConfiguredCredentials() throws Exception {
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            String real = "http://" + registry.address();
            byte[] baseTar = tar("etc/base.txt", "from the base");
            put(real, "base/tiny", "1", baseTar);

            AtomicInteger tokens = new AtomicInteger();
            AtomicInteger credentialed = new AtomicInteger(); // token requests that carried any credentials
            HttpServer front = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            String address = "127.0.0.1:" + front.getAddress().getPort();
            front.createContext("/token", ex -> {
                String expected = "Basic " + Base64.getEncoder().encodeToString("robot:s3cret".getBytes(
                        StandardCharsets.UTF_8));
                if (ex.getRequestHeaders().getFirst("Authorization") != null) {
                    credentialed.incrementAndGet();
                }
                boolean ok = expected.equals(ex.getRequestHeaders().getFirst("Authorization"))
                        && ex.getRequestURI().getRawQuery().contains("scope=repository%3A");
                if (ok) {
                    tokens.incrementAndGet();
                }
                reply(ex, ok ? 200 : 401, ok ? "{\"token\": \"t0k3n\"}" : "{}");
            });
            front.createContext("/v2/", ex -> {
                if (!"Bearer t0k3n".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                    ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + address
                            + "/token\",service=\"test\"");
                    reply(ex, 401, "{\"errors\": [{\"code\": \"UNAUTHORIZED\"}]}");
                    return;
                }
                relay(ex, real, address, registry.address());
            });
            front.start();
            try {
                Path layer = dir.resolve("changes.tar");
                Files.write(layer, tar("home/ma-user/.local/tool.py", "print(42)"));
                var pushed = new LayerPush(address, "robot", "s3cret").push(address + "/base/tiny:1", layer,
                        address + "/team/tiny:2", "saved by a test");
                assertThat(tokens.get()).as("a token per repository").isEqualTo(2);

                JsonNode manifest = manifest(real, "team/tiny", "2");
                assertThat(manifest.get("layers")).hasSize(2);
                assertThat(pushed.digest()).isEqualTo("sha256:" + sha256(JSON.writeValueAsBytes(manifest)));
                JsonNode config = JSON.readTree(blob(real, "team/tiny", manifest.get("config").get("digest")
                        .asText()));
                assertThat(config.get("rootfs").get("diff_ids").get(1).asText())
                        .isEqualTo("sha256:" + sha256(Files.readAllBytes(layer)));
                JsonNode history = config.get("history");
                assertThat(history.get(history.size() - 1).get("created_by").asText()).isEqualTo("saved by a test");
                assertThat(blob(real, "team/tiny", manifest.get("layers").get(0).get("digest").asText()))
                        .as("the base's layer, mounted into the new repository").isNotEmpty();

                assertThatThrownBy(() -> new LayerPush(address, "robot", "wrong").push(address + "/base/tiny:1", layer,
                        address + "/team/tiny:3", "x")).isInstanceOf(RuntimeFailure.class)
                        .hasMessageContaining("cannot push").hasMessageContaining("answered 401");
                int before = credentialed.get();
                assertThatThrownBy(() -> new LayerPush("registry.example.com", "robot", "s3cret").push(address
                        + "/base/tiny:1", layer, address + "/team/tiny:4", "x")).isInstanceOf(RuntimeFailure.class)
                        .hasMessageContaining("answered 401");
                assertThat(credentialed.get()).as("another registry's credentials are never sent here")
                        .isEqualTo(before);
            } finally {
                front.stop(0);
            }
        }
    }

    private static byte[] tar(String name, String content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(bytes.length);
            tar.putArchiveEntry(e);
            tar.write(bytes);
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    /** Writes a one-layer image straight to the registry. */
    private void put(String registry, String repository, String tag, byte[] layerTar) throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(layerTar);
        }
        byte[] config = JSON.writeValueAsBytes(JSON.createObjectNode().put("architecture", "amd64").put("os", "linux")
                .set("rootfs", JSON.createObjectNode().put("type", "layers").set("diff_ids",
                        JSON.createArrayNode().add("sha256:" + sha256(layerTar)))));
        upload(registry, repository, gz.toByteArray());
        upload(registry, repository, config);
        var manifest = JSON.createObjectNode().put("schemaVersion", 2)
                .put("mediaType", "application/vnd.docker.distribution.manifest.v2+json");
        manifest.putObject("config").put("mediaType", "application/vnd.docker.container.image.v1+json")
                .put("size", config.length).put("digest", "sha256:" + sha256(config));
        manifest.putArray("layers").addObject().put("mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip")
                .put("size", gz.size()).put("digest", "sha256:" + sha256(gz.toByteArray()));
        var r = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/manifests/" + tag))
                .header("Content-Type", "application/vnd.docker.distribution.manifest.v2+json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(manifest))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private void upload(String registry, String repository, byte[] blob) throws Exception {
        var start = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        URI at = URI.create(registry).resolve(start.headers().firstValue("Location").orElseThrow());
        var done = http.send(HttpRequest.newBuilder(URI.create(at + (at.getQuery() == null ? "?" : "&")
                + "digest=sha256:" + sha256(blob))).PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(done.statusCode()).as(done.body()).isEqualTo(201);
    }

    private JsonNode manifest(String registry, String repository, String tag) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository
                        + "/manifests/" + tag)).header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
                .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    private byte[] blob(String registry, String repository, String digest) throws Exception {
        var r = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repository + "/blobs/" + digest))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** Passes a request on to the registry, and its answer back, with the registry's address in it made ours. */
    private void relay(HttpExchange ex, String registry, String ours, String theirs) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(registry + ex.getRequestURI()))
                .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String h : List.of("Accept", "Content-Type")) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) {
                request.header(h, v);
            }
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        for (String h : List.of("Location", "Docker-Content-Digest", "Content-Type", "Docker-Upload-UUID")) {
            r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v.replace(theirs, ours)));
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(r.statusCode(), head || r.body().length == 0 ? -1 : r.body().length);
        if (!head && r.body().length > 0) {
            ex.getResponseBody().write(r.body());
        }
        ex.close();
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
