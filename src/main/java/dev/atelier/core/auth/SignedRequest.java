package dev.atelier.core.auth;

import java.util.function.Function;

/** What the authenticator needs of an HTTP request, independent of the HTTP framework. */
public record SignedRequest(String method, String rawPath, String rawQuery, Function<String, String> header,
                            byte[] body) {
}
