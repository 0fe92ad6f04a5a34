package dev.atelier.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.huaweicloud.sdk.core.auth.AKSKSigner;
import com.huaweicloud.sdk.core.auth.BasicCredentials;
import com.huaweicloud.sdk.core.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A client that signs every request with the official Huawei Cloud SDK signer ({@code AKSKSigner}, the one
 * the ModelArts SDK uses) and sends it the way that SDK does: HTTP/1.1, JSON content type on every request,
 * the SDK's user agent and {@code X-Project-Id}.
 */
public final class SignedClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String endpoint;
    private final String projectId;
    private final String accessKey;
    private final String secretKey;
    private final HttpClient http;
    private final java.net.InetAddress from;

    public SignedClient(String endpoint, String projectId, String accessKey, String secretKey) {
        this(endpoint, projectId, accessKey, secretKey, null);
    }

    private SignedClient(String endpoint, String projectId, String accessKey, String secretKey,
                         java.net.InetAddress from) {
        this.endpoint = endpoint;
        this.projectId = projectId;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.from = from;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
        this.http = (from == null ? b : b.localAddress(from)).build();
    }

    /** The same client, connecting from another local address (e.g. 127.0.0.2): another client address. */
    public SignedClient from(String address) {
        try {
            return new SignedClient(endpoint, projectId, accessKey, secretKey, java.net.InetAddress.getByName(address));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    public String projectId() {
        return projectId;
    }

    public String accessKey() {
        return accessKey;
    }

    public SignedClient withSecretKey(String sk) {
        return new SignedClient(endpoint, projectId, accessKey, sk, from);
    }

    public SignedClient withAccessKey(String ak) {
        return new SignedClient(endpoint, projectId, ak, secretKey, from);
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response post(String path, String body) {
        return send("POST", path, body);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    public Response send(String method, String pathAndQuery, String body) {
        return send(method, pathAndQuery, body, body, null);
    }

    /** Sends with the given Content-Type header (which the SDK does not sign). */
    public Response sendWithContentType(String method, String pathAndQuery, String body, String contentType) {
        return send(method, pathAndQuery, body, body, null, contentType);
    }

    /**
     * Sends {@code sentBody} with an extra header; when {@code signIt} the header is part of what is signed
     * (over {@code signedBody}), otherwise it is added after signing.
     */
    public Response sendWithHeader(String method, String pathAndQuery, String signedBody, String sentBody,
                                   String header, String value, boolean signIt) {
        extraHeader = new String[] {header, value, Boolean.toString(signIt)};
        try {
            return send(method, pathAndQuery, signedBody, sentBody, null);
        } finally {
            extraHeader = null;
        }
    }

    private String[] extraHeader;

    /** Signs with {@code X-Sdk-Date} set to {@code sdkDate} instead of now. */
    public Response sendDated(String method, String pathAndQuery, String sdkDate) {
        return send(method, pathAndQuery, null, null, sdkDate);
    }

    /** Signs {@code signedBody} but sends {@code sentBody}. */
    public Response sendTampered(String method, String pathAndQuery, String signedBody, String sentBody) {
        return send(method, pathAndQuery, signedBody, sentBody, null);
    }

    /** The headers the signer gives a request without a query, for a client that writes the request itself. */
    public Map<String, String> signedHeaders(String method, String path, String body) {
        var request = com.huaweicloud.sdk.core.http.HttpRequest.newBuilder().withEndpoint(endpoint)
                .withPath(path.replace("{project_id}", projectId)).withMethod(HttpMethod.valueOf(method))
                .withContentType("application/json").withBodyAsString(body).build();
        BasicCredentials creds = new BasicCredentials().withAk(accessKey).withSk(secretKey).withProjectId(projectId);
        return new LinkedHashMap<>(AKSKSigner.getInstance().sign(request, creds));
    }

    private Response send(String method, String pathAndQuery, String signedBody, String sentBody, String sdkDate) {
        return send(method, pathAndQuery, signedBody, sentBody, sdkDate, "application/json");
    }

    private Response send(String method, String pathAndQuery, String signedBody, String sentBody, String sdkDate,
                          String contentType) {
        String path = pathAndQuery.replace("{project_id}", projectId);
        String query = null;
        int q = path.indexOf('?');
        if (q >= 0) {
            query = path.substring(q + 1);
            path = path.substring(0, q);
        }
        var builder = com.huaweicloud.sdk.core.http.HttpRequest.newBuilder()
                .withEndpoint(endpoint).withPath(path).withMethod(HttpMethod.valueOf(method))
                .withContentType("application/json")
                .addHeader("User-Agent", "huaweicloud-usdk-java/3.0")
                .addHeader("X-Project-Id", projectId);
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                // the signer takes decoded values and encodes them itself; the wire carries them as given
                builder.addQueryParam(decode(kv[0]), new ArrayList<>(List.of(kv.length > 1 ? decode(kv[1]) : "")));
            }
        }
        if (signedBody != null) {
            builder.withBodyAsString(signedBody);
        }
        if (sdkDate != null) {
            builder.addHeader("X-Sdk-Date", sdkDate);
        }
        if (extraHeader != null && Boolean.parseBoolean(extraHeader[2])) {
            builder.addHeader(extraHeader[0], extraHeader[1]);
        }
        BasicCredentials creds = new BasicCredentials().withAk(accessKey).withSk(secretKey).withProjectId(projectId);
        Map<String, String> signed = new LinkedHashMap<>(AKSKSigner.getInstance().sign(builder.build(), creds));
        if (sdkDate != null) {
            signed.put("X-Sdk-Date", sdkDate);
        }

        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(endpoint + path + (query == null ? "" : "?" + query)))
                .method(method, sentBody == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(sentBody, StandardCharsets.UTF_8))
                .header("Content-Type", contentType)
                .header("User-Agent", "huaweicloud-usdk-java/3.0")
                .header("X-Project-Id", projectId);
        signed.forEach((k, v) -> {
            if (!k.equalsIgnoreCase("host")) {
                req.header(k, v);
            }
        });
        if (extraHeader != null) {
            req.header(extraHeader[0], extraHeader[1]);
        }
        try {
            HttpResponse<String> resp = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(resp.statusCode(), resp.body(), resp.headers().firstValue("Content-Type").orElse(null),
                    resp.headers().firstValue("X-Request-Id").orElse(null), null,
                    resp.headers().firstValue("Retry-After").orElse(null));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String decode(String s) {
        return java.net.URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    public record Response(int status, String body, String contentType, String requestId, String subjectToken,
                           String retryAfter) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String errorCode() {
            return json().path("error_code").asText();
        }
    }
}
