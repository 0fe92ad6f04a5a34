package dev.atelier.server;

import dev.atelier.api.http.WireCodes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.atelier.api.http.IdentityRoutes;
import dev.atelier.core.AtelierException;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.auth.SdkSigner;
import dev.atelier.core.port.AuditStore;
import dev.atelier.core.service.IdentityService;
import dev.atelier.store.sql.Database;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier user|key|audit} (and {@link ProjectCommands}): administration against a running server through its admin API
 * (signed with the credentials file), or straight on the data dir when no server runs there. Either way the same
 * core service decides what is allowed; on the data dir the operator acts as service administrator (they can
 * read the server key and the database anyway), and changes are audited as {@code local:<os user>}.
 */
final class AdminCommands {
    private AdminCommands() {
    }

    /** Where to act: a running server, or the data dir. */
    static final class Target {
        @Option(names = "--data-dir", defaultValue = "${env:ATELIER_DATA_DIR:-./atelier-data}",
                description = "The server's data dir (env ATELIER_DATA_DIR; default ${DEFAULT-VALUE}).")
        Path dataDir;

        @Option(names = "--url", defaultValue = "${env:ATELIER_URL}",
                description = "A running server's URL (env ATELIER_URL). Default: the server running on the data dir, "
                        + "if any; otherwise the data dir is changed directly.")
        String url;

        @Option(names = "--credentials", description = "Credentials file for the API (default: <data-dir>/credentials.json).")
        Path credentials;

        @Option(names = "--database-url", defaultValue = "${env:ATELIER_DATABASE_URL}",
                description = "JDBC URL of the server's database when it is not SQLite in the data dir.")
        String databaseUrl;

        private final ObjectMapper mapper = new ObjectMapper();

        /**
         * Runs one request: through the API when a server answers, otherwise by calling the service on the data
         * dir; prints the JSON answer. {@code offline} gets the service and the operator's caller.
         */
        int run(String method, String path, Map<String, Object> body,
                Function<Offline, Object> offline) throws Exception {
            String base = url != null && !url.isBlank() ? url : runningServer(dataDir);
            if (base != null) {
                return viaApi(base, method, path, body);
            }
            return viaDataDir(method, path, offline);
        }

        private int viaApi(String base, String method, String path, Map<String, Object> body) throws Exception {
            Path file = credentials != null ? credentials : dataDir.resolve(Bootstrap.CREDENTIALS_FILE);
            return signed(base, file, method, path, body == null ? null : mapper.writeValueAsBytes(body));
        }

        private int viaDataDir(String method, String path, Function<Offline, Object> offline) throws Exception {
            ServerConfig config = ServerConfig.defaults(dataDir, "127.0.0.1", 0, databaseUrl);
            if (databaseUrl == null && !Files.exists(dataDir.resolve("atelier.db"))) {
                System.err.println("atelier: no server runs on " + dataDir + " and it holds no database: start the "
                        + "server once, or give --url or --database-url");
                return 2;
            }
            try (Database db = Database.open(config.effectiveDatabaseUrl())) {
                var parts = IdentityParts.open(db, dataDir, config.signIn(), Clock.systemUTC());
                var audit = parts.audit();
                var service = parts.service();
                String operator = "local:" + System.getProperty("user.name");
                Caller local = new Caller("local", operator, "data-dir", true, Map.of(), null);
                int status = 200;
                String error = null;
                Object answer;
                try {
                    answer = offline.apply(new Offline(service, local));
                } catch (AtelierException e) {
                    var wire = WireCodes.of(WireCodes.View.V1, e.errorCode());
                    status = wire.status();
                    error = wire.code();
                    answer = WireCodes.body(WireCodes.View.V1, wire, e.getMessage(), null);
                }
                if (!method.equals("GET")) {
                    audit.record(new AuditStore.AuditEvent(UUID.randomUUID().toString(), System.currentTimeMillis(),
                            null, operator, "data-dir", "local", method, path.replaceAll("\\?.*", ""), null, status,
                            error));
                }
                return print(status >= 400, mapper.writeValueAsString(answer));
            }
        }
    }

    /**
     * Sends one request signed with the credentials file as the SDKs sign it ({@code {project_id}} in the path
     * becomes the file's project) and prints the answer; 0 on success, 1 for an error answer, 2 when it could
     * not be sent.
     */
    static int signed(String base, Path credentialsFile, String method, String path, byte[] body) throws Exception {
        ApiClient.Credentials creds;
        String target;
        try {
            creds = ApiClient.credentials(credentialsFile);
            target = ApiClient.checkedBase(base) + ApiClient.withProject(path, creds.projectId(),
                    credentialsFile.toString());
        } catch (java.io.IOException | IllegalArgumentException e) {
            System.err.println("atelier: " + e.getMessage());
            return 2;
        }
        String projectId = creds.projectId();
        URI uri;
        try {
            uri = URI.create(target);
        } catch (IllegalArgumentException e) {
            System.err.println("atelier: the path is not a valid URL path: " + path);
            return 2;
        }
        byte[] bytes = body == null ? new byte[0] : body;
        HttpRequest.Builder req = HttpRequest.newBuilder(uri)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(bytes))
                .header("Content-Type", "application/json");
        new SdkSigner(creds.accessKey(), creds.secretKey()).sign(method, uri, bytes, projectId).forEach(req::header);
        HttpResponse<String> resp;
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            resp = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("atelier: " + ApiClient.unreachable(base, e));
            return 2;
        }
        ApiClient.Response answer = ApiClient.response(resp.statusCode(), resp.body());
        if (!answer.ok() && answer.json() == null) {
            System.err.println("atelier: " + answer.problem());
            return 1;
        }
        return print(resp.statusCode() >= 400, resp.body());
    }

    static int print(boolean failed, String json) {
        ObjectMapper mapper = new ObjectMapper();
        String out = json;
        try {
            out = mapper.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(mapper.readTree(json));
        } catch (Exception notJson) {
            // print as received
        }
        (failed ? System.err : System.out).println(out);
        return failed ? 1 : 0;
    }

    /** The URL of the server running on {@code dataDir}, if one answers there. */
    static String runningServer(Path dataDir) {
        Path endpoint = dataDir.resolve(Atelier.ENDPOINT_FILE);
        if (!Files.isReadable(endpoint)) {
            return null;
        }
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            String base = Files.readString(endpoint).trim();
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(base + "/health/live"))
                    .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200 ? base : null;
        } catch (Exception e) {
            return null; // a server that crashed left the file behind
        }
    }

    record Offline(IdentityService service, Caller caller) {
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static Map<String, Object> body(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put((String) kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    private static String password(String given, boolean prompt) {
        if (given != null) {
            return given;
        }
        if (!prompt) {
            return null;
        }
        String env = System.getenv("ATELIER_PASSWORD");
        if (env != null) {
            return env;
        }
        if (System.console() == null) {
            throw new IllegalArgumentException("no terminal to ask for the password: set ATELIER_PASSWORD");
        }
        return new String(System.console().readPassword("Password: "));
    }

    @Command(name = "user", mixinStandardHelpOptions = true, description = "Users: list, show, create, update, delete.",
            subcommands = {UserList.class, UserShow.class, UserCreate.class, UserUpdate.class, UserDelete.class})
    static final class User {
    }

    @Command(name = "list", description = "List users.")
    static final class UserList implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", ADMIN_API + "/users", null, o -> Map.of("users",
                    o.service().users(o.caller()).stream().map(IdentityRoutes::user).toList()));
        }
    }

    @Command(name = "show", description = "Show a user.")
    static final class UserShow implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name or id.")
        String user;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", ADMIN_API + "/users/" + enc(user), null,
                    o -> IdentityRoutes.user(o.service().user(o.caller(), user)));
        }
    }

    @Command(name = "create", description = "Create a user (asks for a password, or reads ATELIER_PASSWORD; "
            + "--no-password for a user who signs in with access keys only).")
    static final class UserCreate implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name.")
        String name;
        @Option(names = "--service-admin", description = "Make the user a service administrator.")
        boolean serviceAdmin;
        @Option(names = "--no-password", description = "Create the user without a password.")
        boolean noPassword;

        @Override
        public Integer call() throws Exception {
            String pw = password(null, !noPassword);
            return target.run("POST", ADMIN_API + "/users",
                    body("name", name, "password", pw, "service_admin", serviceAdmin),
                    o -> IdentityRoutes.user(o.service().createUser(o.caller(), name, pw, serviceAdmin)));
        }
    }

    @Command(name = "update", description = "Enable or disable a user, set their password, grant or revoke "
            + "service administration. Changing your own password through the server needs the current one in "
            + "ATELIER_OLD_PASSWORD.")
    static final class UserUpdate implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name or id.")
        String user;
        @Option(names = "--enabled", arity = "1", description = "true or false.")
        Boolean enabled;
        @Option(names = "--service-admin", arity = "1", description = "true or false.")
        Boolean serviceAdmin;
        @Option(names = "--password", description = "Set a new password (asks for it, or reads ATELIER_PASSWORD).")
        boolean setPassword;

        @Override
        public Integer call() throws Exception {
            String pw = password(null, setPassword);
            // changing your own password through the server needs the current one
            String current = setPassword ? System.getenv("ATELIER_OLD_PASSWORD") : null;
            return target.run("PUT", ADMIN_API + "/users/" + enc(user),
                    body("enabled", enabled, "service_admin", serviceAdmin, "password", pw, "old_password", current),
                    o -> IdentityRoutes.user(o.service().updateUser(o.caller(), user, enabled, pw, serviceAdmin)));
        }
    }

    @Command(name = "delete", description = "Delete a user who owns no instances.")
    static final class UserDelete implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name or id.")
        String user;

        @Override
        public Integer call() throws Exception {
            return target.run("DELETE", ADMIN_API + "/users/" + enc(user), null,
                    o -> IdentityRoutes.user(o.service().deleteUser(o.caller(), user)));
        }
    }

    @Command(name = "key", mixinStandardHelpOptions = true,
            description = "Access keys (AK/SK): list, create, enable, disable, delete.",
            subcommands = {KeyList.class, KeyCreate.class, KeyEnable.class, KeyDisable.class, KeyDelete.class})
    static final class Key {
    }

    @Command(name = "list", description = "List a user's access keys (never their secrets).")
    static final class KeyList implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name or id.")
        String user;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", ADMIN_API + "/users/" + enc(user) + "/keys", null,
                    o -> Map.of("keys", o.service().keys(o.caller(), user).stream().map(IdentityRoutes::key).toList()));
        }
    }

    @Command(name = "create", description = "Create an access key; its secret is shown this once.")
    static final class KeyCreate implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name or id.")
        String user;
        @Option(names = "--description", description = "What the key is for.")
        String description;

        @Override
        public Integer call() throws Exception {
            return target.run("POST", ADMIN_API + "/users/" + enc(user) + "/keys",
                    body("description", description), o -> {
                        var k = o.service().createKey(o.caller(), user, description);
                        Map<String, Object> view = IdentityRoutes.key(k.record());
                        view.put("secret_key", k.secretKey());
                        return view;
                    });
        }
    }

    abstract static class KeyChange implements Callable<Integer> {
        @Mixin
        Target target;
        @Parameters(index = "0", description = "User name or id.")
        String user;
        @Parameters(index = "1", description = "Access key.")
        String accessKey;
    }

    @Command(name = "enable", description = "Enable an access key.")
    static final class KeyEnable extends KeyChange {
        @Override
        public Integer call() throws Exception {
            return target.run("PUT", ADMIN_API + "/users/" + enc(user) + "/keys/" + enc(accessKey),
                    body("enabled", true), o -> IdentityRoutes.key(o.service().setKeyEnabled(o.caller(), user,
                            accessKey, true)));
        }
    }

    @Command(name = "disable", description = "Disable an access key: requests signed with it fail from now on.")
    static final class KeyDisable extends KeyChange {
        @Override
        public Integer call() throws Exception {
            return target.run("PUT", ADMIN_API + "/users/" + enc(user) + "/keys/" + enc(accessKey),
                    body("enabled", false), o -> IdentityRoutes.key(o.service().setKeyEnabled(o.caller(), user,
                            accessKey, false)));
        }
    }

    @Command(name = "delete", description = "Delete an access key.")
    static final class KeyDelete extends KeyChange {
        @Override
        public Integer call() throws Exception {
            return target.run("DELETE", ADMIN_API + "/users/" + enc(user) + "/keys/" + enc(accessKey),
                    null, o -> IdentityRoutes.key(o.service().deleteKey(o.caller(), user, accessKey)));
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true,
            description = "The audit log, newest first: every state-changing call, who made it, from where, and how "
                    + "it ended.")
    static final class Audit implements Callable<Integer> {
        @Mixin
        Target target;
        @Option(names = "--project", description = "Only this project (name or id).")
        String project;
        @Option(names = "--user", description = "Only this user (name or id).")
        String user;
        @Option(names = "--since", description = "From this instant (ISO-8601, e.g. 2026-01-31T12:00:00Z).")
        String since;
        @Option(names = "--limit", defaultValue = "100", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() throws Exception {
            StringBuilder q = new StringBuilder("?limit=" + limit);
            if (project != null) {
                q.append("&project=").append(enc(project));
            }
            if (user != null) {
                q.append("&user=").append(enc(user));
            }
            if (since != null) {
                q.append("&since=").append(enc(since));
            }
            Long sinceMs;
            try {
                sinceMs = since == null ? null : java.time.Instant.parse(since).toEpochMilli();
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("--since must be an instant such as 2026-01-31T12:00:00Z");
            }
            return target.run("GET", ADMIN_API + "/audit" + q, null, o -> Map.of("events",
                    o.service().audit(o.caller(), project, user, sinceMs, null, 0, limit).stream()
                            .map(IdentityRoutes::event).toList()));
        }
    }

    static final String ADMIN_API = "/admin/v1";
}
