package dev.atelier.core.auth;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.port.IdentityStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Verifies AK/SK-signed requests exactly as the official SDK signs them (reference §1.4). */
public final class Authenticator {

    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(15);
    public static final DateTimeFormatter SDK_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);
    private static final Pattern AUTHORIZATION = Pattern.compile(
            "SDK-HMAC-SHA256\\s+(?:Access=([^,\\s]+)|Credential=([^/,\\s]+)/[^,]*)\\s*,\\s*"
                    + "SignedHeaders=([^,\\s]+)\\s*,\\s*Signature=([0-9a-fA-F]+)\\s*");

    private final IdentityStore identities;
    private final SecretBox secrets;
    private final Clock clock;

    public Authenticator(IdentityStore identities, SecretBox secrets, Clock clock) {
        this.identities = identities;
        this.secrets = secrets;
        this.clock = clock;
    }

    public Caller authenticate(SignedRequest req) {
        String authorization = req.header().apply("authorization");
        if (authorization == null || authorization.isBlank()) {
            throw new AtelierException(ErrorCode.AUTH_MISSING,
                    "the request is not authenticated: sign it with an access key (Authorization: SDK-HMAC-SHA256 ...)");
        }
        Matcher m = AUTHORIZATION.matcher(authorization.trim());
        if (!m.matches()) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED,
                    "the Authorization header is not an SDK-HMAC-SHA256 signature");
        }
        String accessKey = m.group(1) != null ? m.group(1) : m.group(2);
        List<String> signedHeaders = new ArrayList<>(Arrays.asList(m.group(3).toLowerCase(Locale.ROOT).split(";")));
        String signature = m.group(4).toLowerCase(Locale.ROOT);

        String sdkDate = req.header().apply("x-sdk-date");
        if (sdkDate == null) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "the X-Sdk-Date header is missing");
        }
        if (!signedHeaders.contains("x-sdk-date")) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "X-Sdk-Date must be one of the signed headers");
        }
        checkDate(sdkDate);

        IdentityStore.AccessKeyRecord key = identities.findAccessKey(accessKey)
                .filter(IdentityStore.AccessKeyRecord::enabled)
                .orElseThrow(() -> new AtelierException(ErrorCode.AUTH_MALFORMED, "unknown or disabled access key"));

        // X-Sdk-Content-Sha256 counts only when it is signed, and then only as UNSIGNED-PAYLOAD (the client's
        // choice not to sign the body) or as the body's real hash: otherwise a captured request could be replayed
        // with another body
        String bodyHash = SdkHmacSha256.sha256Hex(req.body());
        String contentSha = signedHeaders.contains("x-sdk-content-sha256") ? req.header().apply("x-sdk-content-sha256")
                : null;
        if (contentSha != null && !contentSha.equals("UNSIGNED-PAYLOAD") && !contentSha.equalsIgnoreCase(bodyHash)) {
            throw new AtelierException(ErrorCode.AUTH_BAD_SIGNATURE, "X-Sdk-Content-Sha256 does not match the body");
        }
        String payloadHash = contentSha != null ? contentSha : bodyHash;
        String canonical;
        try {
            canonical = SdkHmacSha256.canonicalRequest(req.method(), req.rawPath(), req.rawQuery(), signedHeaders,
                    req.header(), payloadHash);
        } catch (IllegalArgumentException e) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "the request URL has a malformed percent-encoding");
        }
        String expected = SdkHmacSha256.signature(secrets.open(key.sealedSecret()).getBytes(StandardCharsets.UTF_8),
                SdkHmacSha256.stringToSign(sdkDate, canonical));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII))) {
            throw new AtelierException(ErrorCode.AUTH_BAD_SIGNATURE,
                    "the request signature does not match: check the secret key and what was signed");
        }
        return new Caller(key.userId(), key.accessKey(), identities.projectsOf(key.userId()));
    }

    private void checkDate(String sdkDate) {
        Instant signedAt;
        try {
            signedAt = LocalDateTime.parse(sdkDate, SDK_DATE).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "X-Sdk-Date must look like 20240101T120000Z");
        }
        Duration skew = Duration.between(signedAt, clock.instant()).abs();
        if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new AtelierException(ErrorCode.AUTH_EXPIRED,
                    "the signature has expired: X-Sdk-Date is more than 15 minutes from the server's clock");
        }
    }
}
