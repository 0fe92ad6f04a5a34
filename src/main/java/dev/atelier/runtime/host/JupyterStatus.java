package dev.atelier.runtime.host;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Asks a notebook server whether it is ready ({@code GET <base>/api/status} with the instance's token) and whether
 * it is computing for someone: a kernel whose {@code execution_state} is {@code busy}. Jupyter's own
 * {@code last_activity} is not used: an open browser tab's polling keeps it fresh whether anyone looks or not.
 */
public final class JupyterStatus {
    private static final Pattern KERNELS = Pattern.compile("\"kernels\"\\s*:\\s*(\\d+)");
    private static final Pattern BUSY = Pattern.compile("\"execution_state\"\\s*:\\s*\"busy\"");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * What the server at {@code baseUrl} (ending in {@code /}) answers: empty while it does not answer 200 yet,
     * else whether a kernel is busy (absent when the server did not say). The kernels are asked about only when the
     * status counts some: most polls cost one request.
     */
    public Optional<Optional<Boolean>> ask(String baseUrl, String token) {
        try {
            HttpResponse<String> status = get(baseUrl + "api/status", token);
            if (status.statusCode() != 200) {
                return Optional.empty();
            }
            Integer kernels = kernels(status.body());
            if (kernels == null) {
                return Optional.of(Optional.empty());
            }
            if (kernels == 0) {
                return Optional.of(Optional.of(false));
            }
            HttpResponse<String> list = get(baseUrl + "api/kernels", token);
            return Optional.of(list.statusCode() == 200 ? Optional.of(anyBusy(list.body())) : Optional.empty());
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "token " + token)
                .timeout(Duration.ofMillis(800)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** How many kernels {@code /api/status} counts; null when it does not say. */
    static Integer kernels(String statusJson) {
        var m = KERNELS.matcher(statusJson);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    /** Whether any kernel of an {@code /api/kernels} answer is busy. */
    static boolean anyBusy(String kernelsJson) {
        return BUSY.matcher(kernelsJson).find();
    }
}
