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

        /** What the server said went wrong, in its own words. */
        public String problem() {
            if (json != null && json.hasNonNull("error_msg")) {
                return json.get("error_msg").asText() + " (" + json.path("error_code").asText() + ")";
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
        this.base = base.replaceAll("/+$", "");
        this.projectId = projectId;
        this.signer = new SdkSigner(accessKey, secretKey);
    }

    /** A client with the credentials of a credentials.json file (as {@code atelier serve} writes one). */
    public static ApiClient of(String base, Path credentials) throws IOException {
        if (!Files.isReadable(credentials)) {
            throw new IOException("cannot read " + credentials + " (start the server once to create it, or give "
                    + "--credentials)");
        }
        JsonNode c = JSON.readTree(credentials.toFile());
        return new ApiClient(base, c.path("project_id").asText(null), c.path("access_key").asText(),
                c.path("secret_key").asText());
    }

    public String base() {
        return base;
    }

    /** Sends {@code method path}, {project_id} in the path replaced with the credentials' project. */
    public Response send(String method, String path, String body) throws Unreachable {
        URI uri = URI.create(base + (projectId == null ? path : path.replace("{project_id}", projectId)));
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

    /** What to say when {@code base} could not be reached. */
    static String unreachable(String base, IOException e) {
        return "cannot reach " + base + ": " + (e instanceof java.net.ConnectException ? "connection refused"
                : Main.rootMessage(e));
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
