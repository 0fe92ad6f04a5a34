package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code atelier login}: signs in once with a user name and password (as {@code POST /v3/auth/tokens}), makes an
 * access key for this computer with that sign-in, and keeps server, project and key as a profile (owner-only
 * file). The password is read from the terminal or standard input, never from the command line, and not kept.
 */
@Command(name = "login", mixinStandardHelpOptions = true,
        description = "Sign in once; keep the server, the project and an access key made for this computer as a "
                + "profile for the other commands (--profile).")
final class LoginCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", required = true, defaultValue = "${env:ATELIER_URL}",
            description = "Base URL of the API, e.g. https://atelier.example.com (env ATELIER_URL).")
    String url;
    @Option(names = "--user", required = true, description = "Your user name.")
    String user;
    @Option(names = "--project", required = true, description = "The project to work in (name or id).")
    String project;
    @Option(names = "--profile", defaultValue = "${env:ATELIER_PROFILE:-default}",
            description = "The profile to write (default ${DEFAULT-VALUE}).")
    String profile;
    @Option(names = "--password-stdin", description = "Read the password from standard input (scripts).")
    boolean passwordStdin;

    @Override
    public Integer call() throws Exception {
        String password = password();
        if (password == null) {
            System.err.println("atelier: no password: run in a terminal, or give --password-stdin");
            return NotebookCommands.UNREACHABLE;
        }
        String base;
        try {
            base = ApiClient.checkedBase(url);
        } catch (IllegalArgumentException e) {
            System.err.println("atelier: " + e.getMessage());
            return NotebookCommands.UNREACHABLE;
        }
        ObjectNode auth = JSON.createObjectNode();
        ObjectNode identity = auth.putObject("auth").putObject("identity");
        identity.putArray("methods").add("password");
        identity.putObject("password").putObject("user").put("name", user).put("password", password);
        ((ObjectNode) auth.get("auth")).putObject("scope").putObject("project").put("name", project);
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> signedIn = send(http, HttpRequest.newBuilder(URI.create(base + "/v3/auth/tokens"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(auth.toString())));
            if (signedIn == null) {
                return NotebookCommands.UNREACHABLE;
            }
            if (signedIn.statusCode() != 201 || !signedIn.headers().firstValue("X-Subject-Token").isPresent()) {
                return refused(signedIn);
            }
            JsonNode token = JSON.readTree(signedIn.body()).path("token");
            String tokenValue = signedIn.headers().firstValue("X-Subject-Token").orElseThrow();
            String host = java.net.InetAddress.getLocalHost().getHostName();
            HttpResponse<String> key = send(http, HttpRequest.newBuilder(URI.create(base + "/admin/v1/users/"
                            + AdminCommands.enc(token.path("user").path("id").asText()) + "/keys"))
                    .header("Content-Type", "application/json").header("X-Auth-Token", tokenValue)
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode()
                            .put("description", "atelier login on " + host).toString())));
            if (key == null) {
                return NotebookCommands.UNREACHABLE;
            }
            if (key.statusCode() != 201) {
                return refused(key);
            }
            JsonNode k = JSON.readTree(key.body());
            var file = Profiles.file(System.getenv());
            try {
                Profiles.write(file, profile, new Profiles.Profile(base, token.path("project").path("id").asText(),
                        k.path("access_key").asText(), k.path("secret_key").asText(), user));
            } catch (java.io.IOException e) { // the key is made; an administrator may remove it
                System.err.println("atelier: " + e.getMessage() + " (access key " + k.path("access_key").asText()
                        + " was made for it)");
                return NotebookCommands.UNREACHABLE;
            }
            System.out.println("signed in as " + user + " in project " + token.path("project").path("name").asText()
                    + "; profile " + profile + " written to " + file + " (access key "
                    + k.path("access_key").asText() + ")");
            return 0;
        }
    }

    private String password() throws java.io.IOException {
        if (passwordStdin) {
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return line == null || line.isEmpty() ? null : line;
        }
        var console = System.console();
        if (console == null) {
            return null;
        }
        char[] typed = console.readPassword("Password for %s: ", user);
        return typed == null || typed.length == 0 ? null : new String(typed);
    }

    private HttpResponse<String> send(HttpClient http, HttpRequest.Builder req) {
        try {
            return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("atelier: " + ApiClient.unreachable(url, e));
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static int refused(HttpResponse<String> r) {
        ApiClient.Response answer = ApiClient.response(r.statusCode(), r.body());
        System.err.println("atelier: " + answer.problem());
        return NotebookCommands.refusal(answer);
    }
}
