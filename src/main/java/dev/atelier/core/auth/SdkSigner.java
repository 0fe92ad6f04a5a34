package dev.atelier.core.auth;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Signs a request the way the Huawei Cloud SDKs do, for Atelier's own clients (the {@code api} command and the
 * benchmarks). Signs {@code host}, {@code x-project-id} (when given) and {@code x-sdk-date}.
 */
public final class SdkSigner {
    private final String accessKey;
    private final byte[] secretKey;

    public SdkSigner(String accessKey, String secretKey) {
        this.accessKey = accessKey;
        this.secretKey = secretKey.getBytes(StandardCharsets.UTF_8);
    }

    /** The headers to add to the request: {@code X-Sdk-Date}, {@code X-Project-Id} and {@code Authorization}. */
    public Map<String, String> sign(String method, URI uri, byte[] body, String projectId) {
        Map<String, String> signed = new TreeMap<>();
        signed.put("host", uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort());
        signed.put("x-sdk-date", ZonedDateTime.now(ZoneOffset.UTC).format(Authenticator.SDK_DATE));
        if (projectId != null) {
            signed.put("x-project-id", projectId);
        }
        List<String> names = List.copyOf(signed.keySet());
        String canonical = SdkHmacSha256.canonicalRequest(method, uri.getRawPath(), uri.getRawQuery(), names,
                signed::get, SdkHmacSha256.sha256Hex(body));
        String signature = SdkHmacSha256.signature(secretKey,
                SdkHmacSha256.stringToSign(signed.get("x-sdk-date"), canonical));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-Sdk-Date", signed.get("x-sdk-date"));
        if (projectId != null) {
            headers.put("X-Project-Id", projectId);
        }
        headers.put("Authorization", SdkHmacSha256.ALGORITHM + " Access=" + accessKey + ", SignedHeaders="
                + String.join(";", names) + ", Signature=" + signature);
        return headers;
    }
}
