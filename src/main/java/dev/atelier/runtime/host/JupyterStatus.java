package dev.atelier.runtime.host;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/** Asks a notebook server whether it is ready: {@code GET <base>/api/status} with the instance's token. */
public final class JupyterStatus {
    private static final Pattern LAST_ACTIVITY = Pattern.compile("\"last_activity\"\\s*:\\s*\"([^\"]+)\"");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * What the server at {@code baseUrl} (ending in {@code /}) answers: empty while it does not answer 200 yet,
     * else its last user activity (epoch ms; absent when it does not say).
     */
    public Optional<Optional<Long>> ask(String baseUrl, String token) {
        try {
            HttpRequest req = HttpRequest.newBuilder(URI.create(baseUrl + "api/status"))
                    .header("Authorization", "token " + token).timeout(Duration.ofMillis(800)).GET().build();
            HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
            return resp.statusCode() == 200 ? Optional.of(Optional.ofNullable(lastActivity(resp.body())))
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Jupyter's {@code last_activity} from {@code /api/status} (asking does not change it). */
    public static Long lastActivity(String statusJson) {
        var m = LAST_ACTIVITY.matcher(statusJson);
        if (!m.find()) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(m.group(1)).toInstant().toEpochMilli();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }
}
