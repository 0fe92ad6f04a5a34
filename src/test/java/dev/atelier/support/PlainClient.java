package dev.atelier.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Unsigned requests: with a token (X-Auth-Token or Bearer), or with no credentials at all. */
public final class PlainClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String endpoint;
    private final Map<String, String> headers;
    private final HttpClient http;

    public PlainClient(String endpoint, Map<String, String> headers) {
        this(endpoint, headers, HTTP);
    }

    private PlainClient(String endpoint, Map<String, String> headers, HttpClient http) {
        this.endpoint = endpoint;
        this.headers = headers;
        this.http = http;
    }

    /** The same client, connecting from another local address (e.g. 127.0.0.2): another client address. */
    public PlainClient from(String address) {
        try {
            return new PlainClient(endpoint, headers, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .localAddress(java.net.InetAddress.getByName(address)).build());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static PlainClient anonymous(String endpoint) {
        return new PlainClient(endpoint, Map.of());
    }

    public static PlainClient token(String endpoint, String token) {
        return new PlainClient(endpoint, Map.of("X-Auth-Token", token));
    }

    public static PlainClient bearer(String endpoint, String token) {
        return new PlainClient(endpoint, Map.of("Authorization", "Bearer " + token));
    }

    public SignedClient.Response send(String method, String path, String body) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(endpoint + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .header("Content-Type", "application/json");
        headers.forEach(req::header);
        try {
            HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new SignedClient.Response(resp.statusCode(), resp.body(),
                    resp.headers().firstValue("Content-Type").orElse(null),
                    resp.headers().firstValue("X-Request-Id").orElse(null),
                    resp.headers().firstValue("X-Subject-Token").orElse(null),
                    resp.headers().firstValue("Retry-After").orElse(null));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Signs in with a password, scoped to a project (id or name), as Huawei clients call IAM. */
    public static SignedClient.Response signIn(String endpoint, String user, String password, String project) {
        return anonymous(endpoint).signIn(user, password, project);
    }

    /** Signs in with a password from this client's address. */
    public SignedClient.Response signIn(String user, String password, String project) {
        String body = "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\""
                + user + "\",\"password\":\"" + password + "\",\"domain\":{\"name\":\"default\"}}}},"
                + "\"scope\":{\"project\":{\"" + (project.matches("[0-9a-f]{32}") ? "id" : "name") + "\":\""
                + project + "\"}}}}";
        return send("POST", "/v3/auth/tokens", body);
    }
}
