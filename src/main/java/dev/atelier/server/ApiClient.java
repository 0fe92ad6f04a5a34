package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.auth.SdkSigner;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Requests to an Atelier API signed with an access key the way the official SDKs sign them, for the command line:
 * the same API, and the same rules, as every other client.
 */
public final class ApiClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String projectId;
    private final SdkSigner signer;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** An answer: its status and its body (JSON where it is JSON, else null), and the raw text. */
    public record Response(int status, JsonNode json, String text) {
        public boolean ok() {
            return status < 400;
        }

        /** A page, not JSON: whatever answered is likely not the API (an address off by a path, another server). */
        public boolean notTheApi() {
            return json == null && !text.isBlank();
        }

        /** What the server said went wrong, in its own words. */
        public String problem() {
            if (json != null && json.hasNonNull("error_msg")) {
                return json.get("error_msg").asText() + " (" + json.path("error_code").asText() + ")";
            }
            if (notTheApi()) {
                return "HTTP " + status + ", and not an answer of the Atelier API: is the address the server's?";
            }
            return "HTTP " + status + (text.isBlank() ? "" : ": " + text);
        }
    }

    /** The API cannot be reached. */
    public static final class Unreachable extends Exception {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public ApiClient(String base, String projectId, String accessKey, String secretKey) {
        this.base = checkedBase(base);
        this.projectId = projectId;
        this.signer = new SdkSigner(accessKey, secretKey);
    }

    /** A client with the credentials of a credentials.json file (as {@code atelier serve} writes one). */
    public static ApiClient of(String base, Path credentials) throws IOException {
        Credentials c = credentials(credentials);
        return new ApiClient(base, c.projectId(), c.accessKey(), c.secretKey());
    }

    /** What a credentials file holds. */
    record Credentials(String projectId, String accessKey, String secretKey) {
    }

    /** Reads a credentials file ({@code atelier serve} writes one); says in a sentence what is wrong with it. */
    static Credentials credentials(Path file) throws IOException {
        if (!Files.isReadable(file) || Files.isDirectory(file)) {
            throw new IOException("cannot read " + file + " (start the server once to create it, or give "
                    + "--credentials)");
        }
        JsonNode c;
        try {
            c = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            c = null;
        }
        if (c == null || !c.isObject()) {
            throw new IOException(file + " is not a credentials file: JSON with access_key, secret_key and project_id");
        }
        for (String field : new String[] {"access_key", "secret_key"}) {
            if (!c.path(field).isTextual() || c.path(field).asText().isBlank()) {
                throw new IOException(file + " has no " + field + ": a credentials file holds access_key, "
                        + "secret_key and project_id");
            }
        }
        // a service administrator's may name no project: enough for paths without {project_id}
        String project = c.path("project_id").isTextual() && !c.path("project_id").asText().isBlank()
                ? c.get("project_id").asText() : null;
        return new Credentials(project, c.get("access_key").asText(), c.get("secret_key").asText());
    }

    /** {@code path} with {project_id} replaced by {@code projectId}; refused when it needs one and there is none. */
    static String withProject(String path, String projectId, String whose) {
        if (!path.contains("{project_id}")) {
            return path;
        }
        if (projectId == null) {
            throw new IllegalArgumentException(whose + " has no project_id, which {project_id} in the path needs");
        }
        return path.replace("{project_id}", projectId);
    }

    /** {@code base} without trailing slashes, once it is known to be an http(s) address with a host. */
    static String checkedBase(String base) {
        URI uri;
        try {
            uri = base == null ? null : new URI(base.trim());
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme())
                || "https".equals(uri.getScheme())) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("the server's address must be http:// or https:// with a host, such "
                    + "as http://127.0.0.1:8080; not '" + base + "'");
        }
        return base.trim().replaceAll("/+$", "");
    }

    public String base() {
        return base;
    }

    /** Sends {@code method path}, {project_id} in the path replaced with the credentials' project. */
    public Response send(String method, String path, String body) throws Unreachable {
        URI uri = URI.create(base + withProject(path, projectId, "the credentials"));
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder req = HttpRequest.newBuilder(uri).method(method, HttpRequest.BodyPublishers.ofByteArray(bytes))
                .header("Content-Type", "application/json");
        signer.sign(method, uri, bytes, projectId).forEach(req::header);
        HttpResponse<String> resp;
        try {
            resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Unreachable(unreachable(base, e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreachable("interrupted", e);
        }
        return response(resp.statusCode(), resp.body());
    }

    /** What to say when {@code base} could not be reached: in words, never an exception's class name. */
    static String unreachable(String base, IOException e) {
        String why = null;
        for (Throwable t = e; t != null && why == null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                why = "connection refused (is the server running, and is this its address?)";
            } else if (t instanceof java.net.http.HttpTimeoutException) {
                why = "no answer in time";
            } else if (t instanceof java.net.UnknownHostException
                    || t instanceof java.nio.channels.UnresolvedAddressException) {
                why = "unknown host";
            } else if (t instanceof java.nio.channels.ClosedChannelException
                    || t instanceof java.io.EOFException) {
                why = "the connection was closed before an answer (is the server running, and is this its address?)";
            }
        }
        if (why == null) {
            String m = e.getMessage();
            why = m == null || m.isBlank() ? "the connection failed" : m;
        }
        return "cannot reach " + base + ": " + why;
    }

    /** The answer {@code status}/{@code body} as a response: JSON where it is JSON. */
    static Response response(int status, String body) {
        JsonNode json = null;
        try {
            json = body.isBlank() ? null : JSON.readTree(body);
        } catch (IOException notJson) {
            // kept as text
        }
        return new Response(status, json, body);
    }

    @Override
    public void close() {
        http.close();
    }
}
