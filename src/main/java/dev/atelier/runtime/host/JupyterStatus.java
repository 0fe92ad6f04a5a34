package dev.atelier.runtime.host;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Asks a notebook server whether it is ready ({@code GET <base>/api/status} with the instance's token) and whether
 * it is computing for someone: a kernel whose {@code execution_state} is {@code busy}; and when it last heard from
 * each kernel (its {@code last_activity}), which tells code that is still running from code that ran, where the
 * server missed the kernel saying it was busy. The server's own overall {@code last_activity} is not used: an open
 * browser tab's polling keeps it fresh whether anyone looks or not.
 */
public final class JupyterStatus {
    private static final Pattern KERNELS = Pattern.compile("\"kernels\"\\s*:\\s*(\\d+)");
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    /**
     * What the server said of its kernels: whether one is busy (null when it did not say) and when it last heard
     * from each (null when it did not say).
     */
    public record Kernels(Boolean busy, Map<String, Long> heard) {
        static final Kernels UNKNOWN = new Kernels(null, null);
        static final Kernels NONE = new Kernels(false, Map.of());
    }

    /**
     * What the server at {@code baseUrl} (ending in {@code /}) answers: empty while it does not answer 200 yet,
     * else what it says of its kernels. The kernels are asked about only when the status counts some: most polls
     * cost one request.
     */
    public Optional<Kernels> ask(String baseUrl, String token) {
        try {
            HttpResponse<String> status = get(baseUrl + "api/status", token);
            if (status.statusCode() != 200) {
                return Optional.empty();
            }
            Integer kernels = kernels(status.body());
            if (kernels == null) {
                return Optional.of(Kernels.UNKNOWN);
            }
            if (kernels == 0) {
                return Optional.of(Kernels.NONE);
            }
            HttpResponse<String> list = get(baseUrl + "api/kernels", token);
            return Optional.of(list.statusCode() == 200 ? kernelList(list.body()) : Kernels.UNKNOWN);
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

    /**
     * An {@code /api/kernels} answer: whether any kernel is busy, and when the server last heard from each kernel
     * whose {@code last_activity} it gives; {@link Kernels#UNKNOWN} where it is not a list.
     */
    static Kernels kernelList(String kernelsJson) {
        com.fasterxml.jackson.databind.JsonNode list;
        try {
            list = JSON.readTree(kernelsJson);
        } catch (IOException e) {
            return Kernels.UNKNOWN;
        }
        if (list == null || !list.isArray()) {
            return Kernels.UNKNOWN;
        }
        boolean busy = false;
        Map<String, Long> heard = new java.util.HashMap<>();
        for (var k : list) {
            busy |= "busy".equals(k.path("execution_state").asText());
            try {
                heard.put(k.path("id").asText(), java.time.Instant.parse(k.path("last_activity").asText())
                        .toEpochMilli());
            } catch (java.time.format.DateTimeParseException e) {
                // not said: this kernel's code is judged by its state alone
            }
        }
        return new Kernels(busy, heard);
    }
}
