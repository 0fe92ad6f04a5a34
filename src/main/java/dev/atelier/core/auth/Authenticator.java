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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Authenticates a request by either credential real clients send (reference §1.4): an AK/SK signature
 * ({@code SDK-HMAC-SHA256}, verified exactly as the official SDK signs), or a project-scoped token from
 * {@code POST /v3/auth/tokens} in {@code X-Auth-Token} (or {@code Authorization: Bearer}). The signature is
 * checked on every request; what the key or token stands for comes from {@link IdentityStore}, which may keep it
 * briefly (see docs/security.md).
 */
public final class Authenticator {

    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(15);
    private static final int OPENED_SECRETS_MAX = 4096;
    public static final DateTimeFormatter SDK_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT);

    private final IdentityStore identities;
    private final SecretBox secrets;
    private final Clock signatureClock;
    private final Clock tokenClock;
    private final SignInLimiter limiter;
    private final java.util.concurrent.ConcurrentHashMap<String, SdkHmacSha256.Signer> openedSecrets =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * {@code signatureClock} judges X-Sdk-Date (the client's clock against real time); {@code tokenClock}
     * judges token expiry, on the same clock that issued them.
     */
    public Authenticator(IdentityStore identities, SecretBox secrets, Clock signatureClock, Clock tokenClock,
                         SignInLimiter limiter) {
        this.identities = identities;
        this.secrets = secrets;
        this.signatureClock = signatureClock;
        this.tokenClock = tokenClock;
        this.limiter = limiter;
    }

    /** The token a request is sent with ({@code X-Auth-Token}, else a bearer token), or null; by lower-case name. */
    public static String tokenOf(java.util.function.Function<String, String> header) {
        String token = header.apply("x-auth-token");
        String authorization = header.apply("authorization");
        if ((token == null || token.isBlank()) && authorization != null
                && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = authorization.substring(7);
        }
        return token == null || token.isBlank() ? null : token.trim();
    }

    public Caller authenticate(SignedRequest req, String address) {
        String authorization = req.header().apply("authorization");
        String token = tokenOf(req.header());
        if (token != null) {
            return byToken(token, address);
        }
        if (authorization == null || authorization.isBlank()) {
            throw new AtelierException(ErrorCode.AUTH_MISSING, "the request is not authenticated: sign it with an "
                    + "access key (Authorization: SDK-HMAC-SHA256 ...) or send a token (X-Auth-Token)");
        }
        return bySignature(req, authorization, address);
    }

    private Caller byToken(String token, String address) {
        limiter.requireAddressNotLockedOut(address);
        var principal = identities.byToken(tokenHash(token)).filter(p -> p.user().enabled()).orElse(null);
        IdentityStore.TokenRecord record = principal == null ? null : principal.credential();
        if (principal == null) {
            limiter.failed(address);
            throw new AtelierException(ErrorCode.TOKEN_INVALID, "the token is not valid: it is unknown, or its user "
                    + "was disabled; sign in again (POST /v3/auth/tokens)");
        }
        if (record.expiresAt() <= tokenClock.millis()) {
            throw new AtelierException(ErrorCode.TOKEN_EXPIRED, "the token has expired; sign in again "
                    + "(POST /v3/auth/tokens)");
        }
        return caller(principal, "token", record.projectId());
    }

    private Caller bySignature(SignedRequest req, String authorization, String address) {
        SignatureHeader parsed = SignatureHeader.parse(authorization);
        if (parsed == null) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED,
                    "the Authorization header is neither an SDK-HMAC-SHA256 signature nor a Bearer token");
        }
        String accessKey = parsed.accessKey();
        List<String> signedHeaders = Arrays.asList(parsed.signedHeaders().toLowerCase(Locale.ROOT).split(";"));
        String signature = parsed.signature().toLowerCase(Locale.ROOT);

        String sdkDate = req.header().apply("x-sdk-date");
        if (sdkDate == null) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "the X-Sdk-Date header is missing");
        }
        if (!signedHeaders.contains("x-sdk-date")) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "X-Sdk-Date must be one of the signed headers");
        }
        checkDate(sdkDate);

        // a signature cannot be guessed: bad ones count against the address that sends them, never against the
        // key's owner, whose access key id travels in clear and could otherwise be used to lock them out
        limiter.requireAddressNotLockedOut(address);
        var principal = identities.byAccessKey(accessKey)
                .filter(p -> p.credential().enabled() && p.user().enabled()).orElse(null);
        if (principal == null) {
            limiter.failed(address);
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "unknown or disabled access key");
        }
        IdentityStore.AccessKeyRecord key = principal.credential();

        // X-Sdk-Content-Sha256 counts only when it is signed, and then only as UNSIGNED-PAYLOAD (the client's
        // choice not to sign the body) or as the body's real hash: otherwise a captured request could be replayed
        // with another body
        String bodyHash = SdkHmacSha256.sha256Hex(req.body().get());
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
        String expected = signer(key.sealedSecret()).sign(SdkHmacSha256.stringToSign(sdkDate, canonical));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII))) {
            limiter.failed(address);
            throw new AtelierException(ErrorCode.AUTH_BAD_SIGNATURE,
                    "the request signature does not match: check the secret key and what was signed");
        }
        return caller(principal, key.accessKey(), null);
    }

    /**
     * A signer with the secret key a sealed value holds, opened and keyed once: AES-GCM on every request took
     * about 4% of a signed show's CPU. Keyed by the sealed value itself, which never changes, so this cannot serve
     * a deleted or disabled key: the store read above decides that on every request.
     */
    private SdkHmacSha256.Signer signer(String sealed) {
        SdkHmacSha256.Signer k = openedSecrets.get(sealed);
        if (k == null) {
            if (openedSecrets.size() >= OPENED_SECRETS_MAX) {
                openedSecrets.clear();
            }
            k = new SdkHmacSha256.Signer(secrets.open(sealed).getBytes(StandardCharsets.UTF_8));
            openedSecrets.put(sealed, k);
        }
        return k;
    }

    private static Caller caller(IdentityStore.Principal<?> p, String credential, String tokenProject) {
        return new Caller(p.user().id(), p.user().name(), credential, p.user().serviceAdmin(), p.roles(),
                tokenProject);
    }

    /**
     * {@code yyyyMMdd'T'HHmmss'Z'} read by hand: on every signed request, and {@link DateTimeFormatter#parse} took
     * about 3% of a signed show's CPU. Null when it is not such a date (or not a real one, like February 30th).
     */
    static Instant parseSdkDate(String s) {
        if (s.length() != 16 || s.charAt(8) != 'T' || s.charAt(15) != 'Z') {
            return null;
        }
        for (int i = 0; i < 15; i++) {
            if (i != 8 && (s.charAt(i) < '0' || s.charAt(i) > '9')) {
                return null;
            }
        }
        try {
            return LocalDateTime.of(digits(s, 0, 4), digits(s, 4, 6), digits(s, 6, 8), digits(s, 9, 11),
                    digits(s, 11, 13), digits(s, 13, 15)).toInstant(ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }

    /** How a token is stored and looked up: its SHA-256, so that the store never holds a usable token. */
    public static String tokenHash(String token) {
        return SdkHmacSha256.sha256Hex(token.getBytes(StandardCharsets.UTF_8));
    }

    private void checkDate(String sdkDate) {
        Instant signedAt = parseSdkDate(sdkDate);
        if (signedAt == null) {
            throw new AtelierException(ErrorCode.AUTH_MALFORMED, "X-Sdk-Date must look like 20240101T120000Z");
        }
        Duration skew = Duration.between(signedAt, signatureClock.instant()).abs();
        if (skew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new AtelierException(ErrorCode.AUTH_EXPIRED,
                    "the signature has expired: X-Sdk-Date is more than 15 minutes from the server's clock");
        }
    }
}
