package dev.atelier.core.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashing with PBKDF2-HMAC-SHA256 (the JDK's own, FIPS-approved KDF) at OWASP's recommended 600,000
 * iterations and a 16-byte random salt. A hash names its algorithm and cost, so either can be raised later
 * without invalidating stored hashes: {@code pbkdf2-sha256$<iterations>$<salt>$<hash>}.
 */
public final class Passwords {
    public static final int ITERATIONS = 600_000;
    public static final int MIN_LENGTH = 8;
    private static final String PREFIX = "pbkdf2-sha256";
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Password hashing takes about a quarter of a second of one core, by design; at most half the cores do it at
     * once, so that a flood of sign-ins (anyone may send them) queues instead of starving every other request.
     */
    private static final java.util.concurrent.Semaphore HASHING = new java.util.concurrent.Semaphore(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), true);


    private Passwords() {
    }

    public static String hash(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return PREFIX + "$" + ITERATIONS + "$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(derive(password, salt, ITERATIONS));
    }

    public static boolean verify(String password, String stored) {
        if (password == null || stored == null) {
            return false;
        }
        String[] parts = stored.split("\\$");
        if (parts.length != 4 || !parts[0].equals(PREFIX)) {
            return false;
        }
        Base64.Decoder b64 = Base64.getDecoder();
        byte[] expected = b64.decode(parts[3]);
        return MessageDigest.isEqual(expected, derive(password, b64.decode(parts[2]), Integer.parseInt(parts[1])));
    }

    /** A hash that no password matches, to spend the same time on unknown users as on known ones. */
    public static String decoy() {
        return DECOY;
    }

    private static final String DECOY = hash(Base64.getEncoder().encodeToString(
            ("decoy" + RANDOM.nextLong()).getBytes(StandardCharsets.UTF_8)));

    private static byte[] derive(String password, byte[] salt, int iterations) {
        HASHING.acquireUninterruptibly();
        try {
            return deriveNow(password, salt, iterations);
        } finally {
            HASHING.release();
        }
    }

    private static byte[] deriveNow(String password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
        }
    }
}
