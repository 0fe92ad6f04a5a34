package dev.atelier.support;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A browser's view of the console over plain HTTP: a cookie jar, forms, no redirects followed. */
public final class ConsoleClient {
    private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"");
    private final String endpoint;
    private final CookieManager cookies = new CookieManager();
    private final HttpClient http;
    private String csrf;

    public ConsoleClient(String endpoint) {
        this.endpoint = endpoint;
        this.http = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    public record Page(int status, String body, java.net.http.HttpHeaders headers) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String location() {
            return header("Location");
        }
    }

    /** Signs in; returns the answer to the form (303 on success). */
    public Page signIn(String user, String password) {
        return post("/console/sign-in", Map.of("user", user, "password", password, "project", ""), null);
    }

    public Page get(String path) {
        return get(path, Map.of());
    }

    /** A GET with {@code headers} besides (what a browser says of a script's fetch, say). */
    public Page get(String path, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path)).GET();
        headers.forEach(b::header);
        Page p = send(b);
        Matcher m = CSRF.matcher(p.body());
        if (m.find()) {
            csrf = m.group(1);
        }
        return p;
    }

    /** Posts a form with the CSRF token of the last page read (as the page's own form would). */
    public Page submit(String path, Map<String, String> fields) {
        Map<String, String> all = new LinkedHashMap<>(fields);
        all.put("csrf", csrf);
        return post(path, all, null);
    }

    /** Posts a form as given, from {@code origin} (null: no Origin header). */
    public Page post(String path, Map<String, String> fields, String origin) {
        return post(path, fields, origin, Map.of());
    }

    /** Posts a form as given, with {@code headers} besides. */
    public Page post(String path, Map<String, String> fields, String origin, Map<String, String> headers) {
        String body = fields.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
                .collect(Collectors.joining("&"));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(endpoint + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (origin != null) {
            b.header("Origin", origin);
        }
        headers.forEach(b::header);
        return send(b);
    }

    public String csrf() {
        return csrf;
    }

    /** The session cookie's value, or null. */
    public String sessionCookie() {
        return cookies.getCookieStore().getCookies().stream().filter(c -> c.getName().equals("atelier_console"))
                .map(java.net.HttpCookie::getValue).findFirst().orElse(null);
    }

    /** Puts {@code value} in the session cookie, as a browser that kept an old one would send it. */
    public void setSessionCookie(String value) {
        var c = new java.net.HttpCookie("atelier_console", value);
        c.setPath("/console");
        c.setVersion(0);
        cookies.getCookieStore().add(URI.create(endpoint + "/console/"), c);
    }

    private Page send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Page(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String v) {
        return java.net.URLEncoder.encode(v == null ? "" : v, StandardCharsets.UTF_8);
    }
}
