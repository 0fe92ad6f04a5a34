package dev.atelier.runtime.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

/**
 * Makes a new image in a registry from an image there and one more layer, through the registry's HTTP API (the
 * OCI distribution protocol), with no image builder: the base's manifest and configuration are read, the layer
 * (a tar, taken verbatim: ownership, modes and symbolic links as they are) is compressed and uploaded, the base's
 * layers are mounted from its repository (or copied, from another registry), and the new configuration and
 * manifest are written under the new name. Registries on the loopback are spoken to in plain HTTP, others in
 * HTTPS. The configured credentials go to the configured registry only (basic, or a bearer token fetched with
 * them from its realm); any other registry, where a base may come from, is read anonymously.
 */
final class LayerPush {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    private static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    private static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();
    private final String registry;
    private final String user;
    private final String password;
    /**
     * Authorization header values, by registry and repository, and the repository the token also reads (a mount's
     * source): a token kept for one base cannot stand in for a push mounting from another.
     */
    private final Map<String, String> authorizations = new ConcurrentHashMap<>();

    /** @param registry the registry ({@code host[:port]}) the credentials are for */
    LayerPush(String registry, String user, String password) {
        this.registry = registry;
        this.user = user;
        this.password = password;
    }

    /**
     * An image reference taken apart: registry host, repository, tag or digest; and, for a push's target, the
     * repository of the same registry its layers are mounted from, which its token must also read (else null).
     */
    record Reference(String registry, String repository, String tagOrDigest, String alsoReads) {
        Reference(String registry, String repository, String tagOrDigest) {
            this(registry, repository, tagOrDigest, null);
        }

        /** This target, mounting layers from {@code source} where it is in the same registry. */
        Reference mountingFrom(Reference source) {
            return source.registry().equals(registry) ? new Reference(registry, repository, tagOrDigest,
                    source.repository()) : this;
        }

        /** What its credentials are kept under. */
        String credentialKey() {
            return registry + "/" + repository + (alsoReads == null ? "" : " +" + alsoReads);
        }

        static Reference parse(String reference) {
            String rest = reference;
            String registry = "registry-1.docker.io";
            int slash = rest.indexOf('/');
            if (slash > 0) {
                String first = rest.substring(0, slash);
                if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                    registry = first.equals("docker.io") ? registry : first;
                    rest = rest.substring(slash + 1);
                }
            }
            String tag = "latest";
            int at = rest.indexOf('@');
            if (at > 0) {
                tag = rest.substring(at + 1);
                rest = rest.substring(0, at);
                int colon = rest.lastIndexOf(':');
                if (colon > 0 && !rest.substring(colon).contains("/")) {
                    rest = rest.substring(0, colon); // name:tag@digest: the digest is what counts
                }
            } else {
                int colon = rest.lastIndexOf(':');
                if (colon > 0 && !rest.substring(colon).contains("/")) {
                    tag = rest.substring(colon + 1);
                    rest = rest.substring(0, colon);
                }
            }
            if (registry.equals("registry-1.docker.io") && !rest.contains("/")) {
                rest = "library/" + rest;
            }
            return new Reference(registry, rest, tag);
        }

        String base() {
            String host = registry.replaceAll(":\\d+$", "");
            boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]");
            return (loopback ? "http://" : "https://") + registry + "/v2/" + repository;
        }
    }

    /** What a push made: the new image's digest and its compressed size in bytes. */
    record Pushed(String digest, long size) {
    }

    /**
     * Pushes {@code base} plus the layer {@code layerTar} (an uncompressed tar file) as {@code target};
     * {@code createdBy} goes into the image's history.
     */
    Pushed push(String base, Path layerTar, String target, String createdBy) {
        Reference from = Reference.parse(base);
        Reference to = Reference.parse(target).mountingFrom(from);
        try {
            JsonNode manifest = manifest(from);
            ObjectNode config = (ObjectNode) JSON.readTree(blob(from, manifest.path("config").path("digest")
                    .asText()));
            Path gz = Files.createTempFile(layerTar.getParent(), "layer", ".tar.gz");
            try {
                String diffId;
                String layerDigest;
                MessageDigest raw = sha256();
                MessageDigest compressed = sha256();
                try (InputStream in = new DigestInputStream(Files.newInputStream(layerTar), raw);
                     OutputStream out = new GZIPOutputStream(new DigestOutputStream(Files.newOutputStream(gz),
                             compressed), 1 << 16)) {
                    in.transferTo(out);
                }
                diffId = "sha256:" + HexFormat.of().formatHex(raw.digest());
                layerDigest = "sha256:" + HexFormat.of().formatHex(compressed.digest());
                String now = Instant.now().toString();
                ((ArrayNode) config.withObject("rootfs").withArray("diff_ids")).add(diffId);
                config.withArray("history").addObject().put("created", now).put("created_by", createdBy);
                config.put("created", now);
                byte[] configBytes = JSON.writeValueAsBytes(config);
                String configDigest = digestOf(configBytes);

                boolean oci = OCI_MANIFEST.equals(manifest.path("mediaType").asText());
                long total = 0;
                for (JsonNode layer : manifest.path("layers")) {
                    total += layer.path("size").asLong();
                    ensureBlob(from, to, layer.path("digest").asText(), layerTar.getParent());
                }
                long layerSize = Files.size(gz);
                total += layerSize;
                upload(to, layerDigest, HttpRequest.BodyPublishers.ofFile(gz));
                upload(to, configDigest, HttpRequest.BodyPublishers.ofByteArray(configBytes));

                ObjectNode next = manifest.deepCopy();
                next.put("mediaType", oci ? OCI_MANIFEST : DOCKER_MANIFEST);
                ObjectNode cfg = next.withObject("config");
                cfg.put("digest", configDigest).put("size", configBytes.length);
                next.withArray("layers").addObject()
                        .put("mediaType", oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                : "application/vnd.docker.image.rootfs.diff.tar.gzip")
                        .put("size", layerSize).put("digest", layerDigest);
                byte[] manifestBytes = JSON.writeValueAsBytes(next);
                HttpResponse<String> put = send(to, HttpRequest.newBuilder(URI.create(to.base() + "/manifests/"
                                + to.tagOrDigest())).header("Content-Type", oci ? OCI_MANIFEST : DOCKER_MANIFEST)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifestBytes)));
                expect(put, "write the manifest of " + target, 201);
                return new Pushed(digestOf(manifestBytes), total);
            } finally {
                Files.deleteIfExists(gz);
            }
        } catch (IOException e) {
            throw new RuntimeFailure("cannot push " + target + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while pushing " + target);
        }
    }

    /** The image's manifest; of a multi-platform image, the one for this machine's architecture on Linux. */
    private JsonNode manifest(Reference ref) throws IOException, InterruptedException {
        JsonNode m = getManifest(ref, ref.tagOrDigest());
        String type = m.path("mediaType").asText();
        if (type.equals(DOCKER_LIST) || type.equals(OCI_INDEX) || m.has("manifests")) {
            String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
            for (JsonNode entry : m.path("manifests")) {
                if (entry.path("platform").path("os").asText().equals("linux")
                        && entry.path("platform").path("architecture").asText().equals(arch)) {
                    return getManifest(ref, entry.path("digest").asText());
                }
            }
            throw new IOException("the image " + ref.repository() + " has no linux/" + arch + " variant");
        }
        return m;
    }

    private JsonNode getManifest(Reference ref, String tagOrDigest) throws IOException, InterruptedException {
        HttpResponse<String> r = send(ref, HttpRequest.newBuilder(URI.create(ref.base() + "/manifests/"
                + tagOrDigest)).header("Accept", String.join(", ", OCI_INDEX, DOCKER_LIST, OCI_MANIFEST,
                DOCKER_MANIFEST)).GET());
        expect(r, "read the manifest of " + ref.repository() + ":" + tagOrDigest, 200);
        return JSON.readTree(r.body());
    }

    private byte[] blob(Reference ref, String digest) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = sendBytes(ref, HttpRequest.newBuilder(URI.create(ref.base() + "/blobs/" + digest))
                .GET());
        if (r.statusCode() != 200) {
            throw new IOException("the registry answered " + r.statusCode() + " for blob " + digest);
        }
        return r.body();
    }

    /**
     * A base layer into the target's repository: there already, mounted from the base's, or copied (through a file
     * in {@code scratch}).
     */
    private void ensureBlob(Reference from, Reference to, String digest, Path scratch)
            throws IOException, InterruptedException {
        if (exists(to, digest)) {
            return;
        }
        if (from.registry().equals(to.registry())) {
            HttpResponse<String> mount = send(to, HttpRequest.newBuilder(URI.create(to.base() + "/blobs/uploads/?mount="
                    + enc(digest) + "&from=" + enc(from.repository()))).POST(HttpRequest.BodyPublishers.noBody()));
            if (mount.statusCode() == 201) {
                return;
            }
            // 202: the registry would not mount it and opened an upload instead, which is not wanted
            var opened = mount.headers().firstValue("Location");
            if (mount.statusCode() == 202 && opened.isPresent()) {
                send(to, HttpRequest.newBuilder(URI.create(to.base()).resolve(opened.get()))
                        .DELETE());
            }
        }
        Path copy = Files.createTempFile(scratch, "layer", ".blob");
        try {
            HttpResponse<Path> get = authorized(from, HttpRequest.newBuilder(URI.create(from.base() + "/blobs/"
                    + digest)).GET(), HttpResponse.BodyHandlers.ofFile(copy));
            if (get.statusCode() != 200) {
                throw new IOException("the registry answered " + get.statusCode() + " for layer " + digest);
            }
            upload(to, digest, HttpRequest.BodyPublishers.ofFile(copy));
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    private boolean exists(Reference ref, String digest) throws IOException, InterruptedException {
        return send(ref, HttpRequest.newBuilder(URI.create(ref.base() + "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())).statusCode() == 200;
    }

    /** A blob, uploaded in one request where the repository does not have it yet. */
    private void upload(Reference to, String digest, HttpRequest.BodyPublisher body)
            throws IOException, InterruptedException {
        if (exists(to, digest)) {
            return;
        }
        HttpResponse<String> start = send(to, HttpRequest.newBuilder(URI.create(to.base() + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        expect(start, "start an upload to " + to.repository(), 202);
        String location = start.headers().firstValue("Location")
                .orElseThrow(() -> new IOException("the registry named no upload location"));
        URI at = URI.create(to.base()).resolve(location);
        String put = at + (at.getQuery() == null ? "?" : "&") + "digest=" + enc(digest);
        HttpResponse<String> done = send(to, HttpRequest.newBuilder(URI.create(put))
                .header("Content-Type", "application/octet-stream").PUT(body));
        expect(done, "upload " + digest + " to " + to.repository(), 201);
    }

    private HttpResponse<String> send(Reference ref, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return authorized(ref, request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> sendBytes(Reference ref, HttpRequest.Builder request)
            throws IOException, InterruptedException {
        return authorized(ref, request, HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Sends with the registry's credentials for the repository, fetching them once where it asks for them. */
    private <T> HttpResponse<T> authorized(Reference ref, HttpRequest.Builder request,
                                           HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        request.timeout(Duration.ofMinutes(10));
        String key = ref.credentialKey();
        for (int attempt = 0; ; attempt++) {
            String auth = authorizations.get(key);
            if (auth != null) {
                request.setHeader("Authorization", auth);
            }
            HttpResponse<T> r = http.send(request.build(), handler);
            // a first refusal asks for credentials; one with a token held means it expired: asked for once again
            if (r.statusCode() != 401 || attempt == 1) {
                return r;
            }
            if (r.body() instanceof InputStream in) {
                in.close();
            }
            authorizations.put(key, credentials(ref, r.headers().firstValue("WWW-Authenticate").orElse("")));
        }
    }

    private String credentials(Reference ref, String challenge) throws IOException, InterruptedException {
        // the configured credentials are for the configured registry: a base's registry never sees them
        String basic = user == null || !ref.registry().equals(registry) ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            if (basic == null) {
                throw new IOException("the registry " + ref.registry() + " asks for credentials, and the configured "
                        + "ones (ATELIER_REGISTRY_USER, ATELIER_REGISTRY_PASSWORD) are for " + registry + " only");
            }
            return basic;
        }
        Map<String, String> params = new java.util.HashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) {
            params.put(m.group(1).toLowerCase(java.util.Locale.ROOT), m.group(2));
        }
        if (!challenge.regionMatches(true, 0, "Bearer", 0, 6) || !params.containsKey("realm")) {
            throw new IOException("the registry " + ref.registry() + " asks for an authentication this server does "
                    + "not speak: " + challenge);
        }
        URI realm = URI.create(params.get("realm"));
        boolean loopback = realm.getHost() != null && (realm.getHost().equals("localhost")
                || realm.getHost().startsWith("127."));
        if (!"https".equals(realm.getScheme()) && !loopback) {
            throw new IOException("the registry " + ref.registry() + " names a token service that is not HTTPS: "
                    + realm);
        }
        String also = ref.alsoReads();
        String url = realm + (realm.getRawQuery() == null ? "?" : "&")
                + "scope=" + enc("repository:" + ref.repository() + ":pull,push")
                + (also == null ? "" : "&scope=" + enc("repository:" + also + ":pull"))
                + (params.containsKey("service") ? "&service=" + enc(params.get("service")) : "");
        HttpRequest.Builder token = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        if (basic != null) {
            token.header("Authorization", basic);
        }
        HttpResponse<String> r = http.send(token.build(), HttpResponse.BodyHandlers.ofString());
        expect(r, "get a token from " + params.get("realm"), 200);
        JsonNode t = JSON.readTree(r.body());
        String value = t.hasNonNull("token") ? t.get("token").asText() : t.path("access_token").asText(null);
        if (value == null || value.isBlank()) {
            throw new IOException("the token service " + realm + " gave no token");
        }
        return "Bearer " + value;
    }

    private static void expect(HttpResponse<String> r, String doing, int status) throws IOException {
        if (r.statusCode() != status) {
            String body = r.body() == null ? "" : r.body().strip();
            throw new IOException("cannot " + doing + ": the registry answered " + r.statusCode()
                    + (body.isEmpty() ? "" : " " + (body.length() > 300 ? body.substring(0, 300) : body)));
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String digestOf(byte[] bytes) {
        return "sha256:" + dev.atelier.core.auth.SdkHmacSha256.sha256Hex(bytes);
    }
}
