package dev.atelier.core.auth;

import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the authenticator needs of an HTTP request, independent of the HTTP framework. The body is read only
 * when a signature that may hold has to be checked against it: a caller without credentials, or with an access
 * key that does not exist, never makes the server read what it sent.
 */
public record SignedRequest(String method, String rawPath, String rawQuery, Function<String, String> header,
                            Supplier<byte[]> body) {
}
