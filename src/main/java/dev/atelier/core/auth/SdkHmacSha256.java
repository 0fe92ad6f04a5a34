package dev.atelier.core.auth;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code SDK-HMAC-SHA256} request signature of the Huawei Cloud SDKs (reference §1.4): canonical request,
 * string to sign and signature. Used to verify incoming requests and by the CLI to sign its own.
 */
public final class SdkHmacSha256 {

    public static final String ALGORITHM = "SDK-HMAC-SHA256";
    public static final String EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static final MessageDigest SHA_256;

    static {
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private SdkHmacSha256() {
    }

    /**
     * @param rawPath the request path as sent (percent-encoded)
     * @param rawQuery the query string as sent, or null
     * @param signedHeaders lower-case header names, in the order to sign them
     * @param header looks up a header value as sent, by lower-case name
     * @param payloadHash hex SHA-256 of the body, or the value of {@code X-Sdk-Content-Sha256}
     */
    public static String canonicalRequest(String method, String rawPath, String rawQuery, List<String> signedHeaders,
                                          Function<String, String> header, String payloadHash) {
        StringBuilder sb = new StringBuilder();
        sb.append(method.toUpperCase(Locale.ROOT)).append('\n');
        sb.append(canonicalUri(rawPath)).append('\n');
        sb.append(canonicalQuery(rawQuery)).append('\n');
        for (String name : signedHeaders) {
            String value = header.apply(name);
            sb.append(name).append(':').append(value == null ? "" : value).append('\n');
        }
        sb.append('\n');
        sb.append(String.join(";", signedHeaders)).append('\n');
        sb.append(payloadHash);
        return sb.toString();
    }

    public static String stringToSign(String sdkDate, String canonicalRequest) {
        return ALGORITHM + "\n" + sdkDate + "\n" + sha256Hex(canonicalRequest.getBytes(StandardCharsets.UTF_8));
    }

    public static String signature(byte[] secretKey, String stringToSign) {
        return new Signer(secretKey).sign(stringToSign);
    }

    /**
     * Signatures with one secret key: the key is set up once and each signature starts from a copy of it, which
     * costs a fraction of looking the algorithm up and keying it again.
     */
    public static final class Signer {
        private final SecretKeySpec key;
        private final Mac keyed;

        public Signer(byte[] secretKey) {
            key = new SecretKeySpec(secretKey, "HmacSHA256");
            try {
                keyed = Mac.getInstance("HmacSHA256");
                keyed.init(key);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        }

        public String sign(String stringToSign) {
            return HexFormat.of().formatHex(copy().doFinal(stringToSign.getBytes(StandardCharsets.UTF_8)));
        }

        /** A copy of the keyed Mac; keyed anew where a provider cannot copy one (some hardware modules). */
        private Mac copy() {
            try {
                return (Mac) keyed.clone();
            } catch (CloneNotSupportedException e) {
                try {
                    Mac mac = Mac.getInstance(keyed.getAlgorithm(), keyed.getProvider());
                    mac.init(key);
                    return mac;
                } catch (GeneralSecurityException again) {
                    throw new IllegalStateException("HmacSHA256 unavailable", again);
                }
            }
        }
    }

    public static String sha256Hex(byte[] data) {
        if (data.length == 0) {
            return EMPTY_BODY_SHA256; // most requests: every GET and DELETE
        }
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    /** A copy of one digest looked up once: finding the algorithm again cost more than hashing a request. */
    private static MessageDigest sha256() {
        try {
            return (MessageDigest) SHA_256.clone();
        } catch (CloneNotSupportedException e) {
            try {
                return MessageDigest.getInstance("SHA-256");
            } catch (GeneralSecurityException again) {
                throw new IllegalStateException("SHA-256 unavailable", again);
            }
        }
    }

    static String canonicalUri(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.equals("/")) {
            return "/";
        }
        StringBuilder sb = new StringBuilder(rawPath.length() + 2).append('/');
        for (String segment : rawPath.split("/")) {
            if (!segment.isEmpty()) {
                sb.append(unreserved(segment) ? segment : encode(decode(segment))).append('/');
            }
        }
        return sb.toString();
    }

    /** Only RFC 3986's unreserved characters: such a segment is its own encoding (ids, names, most paths). */
    private static boolean unreserved(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
                    || c == '.' || c == '~')) {
                return false;
            }
        }
        return true;
    }

    static String canonicalQuery(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return "";
        }
        List<String[]> pairs = new ArrayList<>();
        for (String part : rawQuery.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            pairs.add(new String[] {encode(decode(key)), encode(decode(value))});
        }
        pairs.sort(Comparator.comparing(p -> p[0])); // stable: repeated keys keep their order
        StringBuilder sb = new StringBuilder();
        for (String[] p : pairs) {
            if (!sb.isEmpty()) {
                sb.append('&');
            }
            sb.append(p[0]).append('=').append(p[1]);
        }
        return sb.toString();
    }

    /** RFC 3986 encoding as the SDK does it: form encoding with {@code +}→{@code %20}, {@code *}→{@code %2A}, {@code ~} kept. */
    public static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
    }

    private static String decode(String s) {
        // a literal '+' in a path or query sent by an RFC 3986 client is a plus, not a space
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
