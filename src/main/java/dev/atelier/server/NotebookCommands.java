package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier notebook …}: notebook instances for people at a terminal, through the same v1 API the SDKs use
 * (signed with the data dir's credentials), so the command line holds no rule of its own. Lists are tables unless
 * {@code --output json}; {@code --wait} follows long work until it is done. Exit codes: 0 done; 1 the API refused
 * (its message printed); 2 the API could not be reached or the command was wrong; 3 the instance failed while
 * waited for; 4 the wait timed out.
 */
@Command(name = "notebook", mixinStandardHelpOptions = true,
        description = "Notebook instances: list, show, create, start, stop, delete, renew, events, open, ssh, "
                + "save-image.",
        subcommands = {NotebookCommands.ListCmd.class, NotebookCommands.Show.class, NotebookCommands.Create.class,
                NotebookCommands.Start.class, NotebookCommands.Stop.class, NotebookCommands.Delete.class,
                NotebookCommands.Renew.class, NotebookCommands.Events.class, NotebookCommands.Open.class, NotebookSsh.class,
                NotebookSaveImage.class})
final class NotebookCommands {
    static final int REFUSED = 1;
    static final int UNREACHABLE = 2;

    /** The exit code of a refusal: an answer that is not the API's says the API was not reached. */
    static int refusal(ApiClient.Response r) {
        return r.notTheApi() ? UNREACHABLE : REFUSED;
    }
    static final int FAILED = 3;
    static final int TIMED_OUT = 4;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String NOTEBOOKS = "/v1/{project_id}/notebooks";

    private NotebookCommands() {
    }

    /** Where the API is, whose credentials sign, how answers are printed. */
    static final class Connection {
        @Option(names = "--data-dir", defaultValue = "${env:ATELIER_DATA_DIR:-./atelier-data}",
                description = "Where credentials.json is (default ${DEFAULT-VALUE}).")
        Path dataDir;
        @Option(names = "--credentials", description = "A credentials.json file (default: <data-dir>/credentials.json).")
        Path credentials;
        @Option(names = "--url", defaultValue = "${env:ATELIER_URL}",
                description = "Base URL of the API (env ATELIER_URL; default: the server running on the data dir, "
                        + "else http://127.0.0.1:8080).")
        String url;
        @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default ${DEFAULT-VALUE}).")
        String output;
        @Option(names = "--profile", defaultValue = "${env:ATELIER_PROFILE}",
                description = "A profile written by atelier login (env ATELIER_PROFILE; default: the data dir's "
                        + "credentials, else the profile named default).")
        String profile;

        PrintStream out = System.out;
        PrintStream err = System.err;

        boolean json() {
            return "json".equalsIgnoreCase(output);
        }

        /** Runs {@code work} with a client; turns what goes wrong into a message and an exit code. */
        int run(Work work) {
            if (!json() && !"table".equalsIgnoreCase(output)) {
                err.println("atelier: --output must be table or json");
                return UNREACHABLE;
            }
            try (ApiClient api = client()) {
                return work.run(api);
            } catch (ApiClient.Unreachable e) {
                err.println("atelier: " + e.getMessage());
                return UNREACHABLE;
            } catch (java.io.IOException e) {
                err.println("atelier: " + e.getMessage());
                return UNREACHABLE;
            }
        }

        /**
         * Whose credentials: {@code --credentials}; else {@code --profile}; else the data dir's credentials file; else
         * the profile named default. Where: {@code --url}, else the profile's, else the server running on the data dir.
         */
        ApiClient client() throws java.io.IOException {
            Path file = credentials != null ? credentials : dataDir.resolve(Bootstrap.CREDENTIALS_FILE);
            boolean useProfile = credentials == null && (profile != null && !profile.isBlank()
                    || !java.nio.file.Files.isReadable(file));
            if (useProfile) {
                String name = profile != null && !profile.isBlank() ? profile : Profiles.DEFAULT;
                Path profiles = Profiles.file(System.getenv());
                Profiles.Profile p = Profiles.read(profiles, name).orElseThrow(() -> new java.io.IOException(
                        "no profile " + name + " in " + profiles + " and no " + file + ": run atelier login, or give "
                                + "--data-dir or --credentials"));
                return new ApiClient(url != null && !url.isBlank() ? url : p.url(), p.projectId(), p.accessKey(),
                        p.secretKey());
            }
            String base = url != null && !url.isBlank() ? url : AdminCommands.runningServer(dataDir);
            return ApiClient.of(base != null ? base : "http://127.0.0.1:8080", file);
        }

        /** Prints the answer (or the API's refusal); its exit code. */
        int print(ApiClient.Response r, java.util.function.Consumer<JsonNode> table) {
            if (!r.ok() || r.notTheApi()) {
                err.println("atelier: " + r.problem());
                return refusal(r);
            }
            if (json()) {
                out.println(pretty(r.json()));
            } else {
                table.accept(r.json());
            }
            return 0;
        }
    }

    interface Work {
        int run(ApiClient api) throws ApiClient.Unreachable;
    }

    /** Waiting for long work: how long, and how the instance looks when it is done. */
    static final class Waiting {
        @Option(names = "--wait", description = "Wait until the work is done, showing its progress.")
        boolean wait;
        @Option(names = "--timeout", defaultValue = "600", converter = Whole.Seconds.class,
                description = "Seconds to wait at most (default ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        /** One look at the work: the line to show of it, its status, and how it ended (null: not yet). */
        record Look(String said, String status, Integer ended) {
        }

        interface Looker {
            Look look() throws ApiClient.Unreachable;
        }

        /**
         * Looks at the work every half second until it has ended or time runs out (4); a line on {@code err} for
         * every change of what is said of it.
         */
        int poll(Connection c, Looker looker) throws ApiClient.Unreachable {
            long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
            String last = "";
            while (true) {
                Look l = looker.look();
                if (!l.said().equals(last)) {
                    c.err.println(l.said());
                    last = l.said();
                }
                if (l.ended() != null) {
                    return l.ended();
                }
                if (System.nanoTime() > deadline) {
                    c.err.println("atelier: still " + l.status() + " after " + timeoutSeconds + " s; it carries on");
                    return TIMED_OUT;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return TIMED_OUT;
                }
            }
        }

        /**
         * Polls the instance until its status is one of {@code done} (0), a failure (3) or time runs out (4); a line
         * on {@code err} for every change of status or step.
         */
        int until(ApiClient api, Connection c, String id, Set<String> done) throws ApiClient.Unreachable {
            return poll(c, () -> {
                ApiClient.Response r = api.send("GET", NOTEBOOKS + "/" + id, null);
                if (r.status() == 400 && done.contains("DELETED") && "ModelArts.6404".equals(r.json() == null ? null
                        : r.json().path("error_code").asText())) {
                    return new Look(id + ": deleted", "DELETED", 0);
                }
                if (!r.ok() || r.notTheApi()) {
                    return new Look("atelier: " + r.problem(), null, refusal(r));
                }
                JsonNode nb = r.json();
                String status = nb.path("status").asText();
                String said = nb.path("name").asText() + ": " + status + progress(nb)
                        + (nb.hasNonNull("fail_reason") ? " — " + nb.get("fail_reason").asText() : "");
                Integer ended = done.contains(status) ? Integer.valueOf(0)
                        : status.endsWith("FAILED") || status.equals("ERROR") ? Integer.valueOf(FAILED) : null;
                return new Look(said, status, ended);
            });
        }

        private static String progress(JsonNode nb) {
            int done = 0;
            int steps = 0;
            for (JsonNode s : nb.path("action_progress")) {
                steps++;
                if ("COMPLETED".equals(s.path("status").asText())) {
                    done++;
                }
            }
            return steps == 0 || done == steps ? "" : " [" + "#".repeat(done) + ".".repeat(steps - done) + "] "
                    + done + "/" + steps;
        }
    }

    @Command(name = "list", description = "List your notebook instances (--all: the project's).")
    static final class ListCmd implements Callable<Integer> {
        @Mixin
        Connection c;
        @Option(names = "--all", description = "Every instance of the project (administrators).")
        boolean all;
        @Option(names = "--name", description = "Names containing this.")
        String name;
        @Option(names = "--status", description = "Only this status, e.g. RUNNING.")
        String status;
        @Option(names = "--limit", defaultValue = "50", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            StringBuilder q = new StringBuilder("?limit=").append(limit);
            if (name != null) {
                q.append("&name=").append(AdminCommands.enc(name));
            }
            if (status != null) {
                q.append("&status=").append(AdminCommands.enc(status));
            }
            return c.run(api -> c.print(api.send("GET", NOTEBOOKS + (all ? "/all" : "") + q, null),
                    page -> table(c.out, page)));
        }
    }

    @Command(name = "show", description = "Show one instance.")
    static final class Show implements Callable<Integer> {
        @Mixin
        Connection c;
        @Parameters(index = "0", description = "Instance id.")
        String id;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("GET", NOTEBOOKS + "/" + AdminCommands.enc(id), null),
                    nb -> details(c.out, nb)));
        }
    }

    @Command(name = "create", description = "Create an instance; --wait until it runs.")
    static final class Create implements Callable<Integer> {
        @Mixin
        Connection c;
        @Mixin
        Waiting w;
        @Parameters(index = "0", description = "Its name: letters, digits, - and _.")
        String name;
        @Option(names = "--flavor", defaultValue = "modelarts.vm.cpu.2u", description = "Flavor (default ${DEFAULT-VALUE}; see GET .../notebooks/flavors).")
        String flavor;
        @Option(names = "--image", defaultValue = "5e2b4d57-1c1a-4f6e-9d0a-7f1c6a0e3b21", description = "Image id (default: the built-in Jupyter image).")
        String image;
        @Option(names = "--storage-gb", defaultValue = "5", description = "Work volume size in GB (default ${DEFAULT-VALUE}).")
        int storageGb;
        @Option(names = "--auto-stop-hours", description = "Stop after this many hours (1 to 72; default 1); 0: never.")
        Integer autoStopHours;
        @Option(names = "--description", description = "A description.")
        String description;
        @Option(names = "--workspace", description = "The workspace it belongs to (atelier workspace list; default 0).")
        String workspace;
        @Option(names = "--ssh-key", description = "A key pair that may reach it over SSH (atelier keypair add).")
        List<String> sshKeys = new ArrayList<>();
        @Option(names = "--ssh-allow", defaultValue = "0.0.0.0/0",
                description = "Addresses (CIDR, comma-separated) SSH is allowed from (default ${DEFAULT-VALUE}).",
                split = ",")
        List<String> sshAllow;

        @Override
        public Integer call() {
            ObjectNode body = JSON.createObjectNode().put("name", name).put("flavor", flavor).put("image_id", image);
            if (!sshKeys.isEmpty()) {
                ObjectNode ssh = body.putArray("endpoints").addObject().put("service", "SSH");
                sshKeys.forEach(ssh.putArray("key_pair_names")::add);
                sshAllow.forEach(ssh.putArray("allowed_access_ips")::add);
            }
            if (description != null) {
                body.put("description", description);
            }
            if (workspace != null) {
                body.put("workspace_id", workspace);
            }
            body.putObject("volume").put("category", "EVS").put("ownership", "MANAGED").put("capacity", storageGb);
            if (autoStopHours != null) {
                body.putObject("lease").put("duration", autoStopHours == 0 ? -1L : autoStopHours * 3_600_000L)
                        .put("type", "timing");
            }
            return c.run(api -> {
                ApiClient.Response r = api.send("POST", NOTEBOOKS, body.toString());
                int code = c.print(r, nb -> c.out.println(nb.path("id").asText()));
                return code != 0 || !w.wait ? code : w.until(api, c, r.json().path("id").asText(), Set.of("RUNNING"));
            });
        }
    }

    /** A change asked of one instance, followed with {@code --wait} until its status is one of {@code done}. */
    abstract static class Change implements Callable<Integer> {
        @Mixin
        Connection c;
        @Mixin
        Waiting w;
        @Parameters(index = "0", description = "Instance id.")
        String id;
        private final String method;
        private final String suffix;
        private final String done;

        Change(String method, String suffix, String done) {
            this.method = method;
            this.suffix = suffix;
            this.done = done;
        }

        @Override
        public Integer call() {
            return act(c, w, id, method, suffix, Set.of(done));
        }
    }

    @Command(name = "start", description = "Start a stopped instance; --wait until it runs.")
    static final class Start extends Change {
        Start() {
            super("POST", "/start", "RUNNING");
        }
    }

    @Command(name = "stop", description = "Stop an instance (its work volume stays); --wait until it has.")
    static final class Stop extends Change {
        Stop() {
            super("POST", "/stop", "STOPPED");
        }
    }

    @Command(name = "delete", description = "Delete an instance and its work volume; --wait until it is gone.")
    static final class Delete extends Change {
        Delete() {
            super("DELETE", "", "DELETED");
        }
    }

    @Command(name = "renew", description = "Restart the auto-stop countdown of a running instance.")
    static final class Renew implements Callable<Integer> {
        @Mixin
        Connection c;
        @Parameters(index = "0", description = "Instance id.")
        String id;
        @Option(names = "--hours", defaultValue = "1", converter = Whole.Hours.class,
                description = "From now, this many hours (1 to 72; default ${DEFAULT-VALUE}).")
        int hours;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("PATCH", NOTEBOOKS + "/" + AdminCommands.enc(id)
                    + "/lease?duration=" + hours * 3_600_000L, ""), lease -> c.out.println("auto stop at "
                    + Instant.ofEpochMilli(lease.path("create_at").asLong() + lease.path("duration").asLong()))));
        }
    }

    @Command(name = "open", description = "Print the notebook's address with its token, ready for a browser; "
            + "--browser opens it in one.")
    static final class Open implements Callable<Integer> {
        @Mixin
        Connection c;
        @Parameters(index = "0", description = "Instance id.")
        String id;
        @Option(names = "--browser", description = "Open it in a browser as well: $BROWSER, else xdg-open (macOS: open).")
        boolean browser;

        @Override
        public Integer call() {
            return c.run(api -> {
                ApiClient.Response r = api.send("GET", NOTEBOOKS + "/" + AdminCommands.enc(id), null);
                if (r.ok() && !r.notTheApi() && !"RUNNING".equals(r.json().path("status").asText())) {
                    c.err.println("atelier: " + id + " is " + r.json().path("status").asText()
                            + ", not RUNNING: start it first (atelier notebook start " + id + " --wait)");
                    return REFUSED;
                }
                return c.print(r, nb -> {
                    String address = nb.path("url").asText() + "?token=" + nb.path("token").asText();
                    c.out.println(address);
                    if (browser) {
                        Browser.open(address, c.err);
                    }
                });
            });
        }
    }

    @Command(name = "events", description = "What happened to an instance, newest first.")
    static final class Events implements Callable<Integer> {
        @Mixin
        Connection c;
        @Parameters(index = "0", description = "Instance id.")
        String id;
        @Option(names = "--limit", defaultValue = "20", description = "At most this many (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("GET", NOTEBOOKS + "/" + AdminCommands.enc(id) + "/events?limit="
                    + limit, null), page -> {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("TIME", "EVENT", "BY", "STATUS", "MESSAGE"));
                for (JsonNode e : page.path("data")) {
                    JsonNode a = e.path("actor");
                    rows.add(List.of(e.path("time_utc").asText(), e.path("type").asText(),
                            a.path("type").asText() + (a.hasNonNull("name") ? " " + a.get("name").asText() : ""),
                            e.path("status").asText(), e.path("message").asText()));
                }
                printRows(c.out, rows);
            }));
        }
    }

    /** Asks for a change, prints the instance's new status, and waits for {@code done} when told to. */
    private static int act(Connection c, Waiting w, String id, String method, String suffix, Set<String> done) {
        return c.run(api -> {
            ApiClient.Response r = api.send(method, NOTEBOOKS + "/" + AdminCommands.enc(id) + suffix,
                    method.equals("DELETE") ? null : "");
            int code = c.print(r, nb -> c.out.println(nb.path("id").asText() + " " + nb.path("status").asText()));
            return code != 0 || !w.wait ? code : w.until(api, c, id, done);
        });
    }

    static void table(PrintStream out, JsonNode page) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("ID", "NAME", "STATUS", "FLAVOR", "CREATED", "AUTO STOP"));
        long now = System.currentTimeMillis();
        for (JsonNode nb : page.path("data")) {
            JsonNode lease = nb.path("lease");
            String left = !lease.path("enable").asBoolean(false) || !"RUNNING".equals(nb.path("status").asText()) ? "–"
                    : minutes(lease.path("create_at").asLong() + lease.path("duration").asLong() - now);
            rows.add(List.of(nb.path("id").asText(), nb.path("name").asText(), nb.path("status").asText(),
                    nb.path("flavor").asText(), Instant.ofEpochMilli(nb.path("create_at").asLong()).toString()
                            .substring(0, 16).replace('T', ' '), left));
        }
        printRows(out, rows);
        out.println(page.path("total").asLong() + " in all");
    }

    static void details(PrintStream out, JsonNode nb) {
        List<List<String>> rows = new ArrayList<>();
        for (String f : List.of("id", "name", "status", "flavor", "fail_reason", "url", "description")) {
            if (nb.hasNonNull(f) && !nb.get(f).asText().isEmpty()) {
                rows.add(List.of(f.replace('_', ' '), nb.get(f).asText()));
            }
        }
        rows.add(List.of("image", nb.path("image").path("name").asText() + ":" + nb.path("image").path("tag").asText()));
        rows.add(List.of("storage", nb.path("volume").path("capacity").asText() + " GB at "
                + nb.path("volume").path("mount_path").asText()));
        for (JsonNode e : nb.path("endpoints")) {
            if (e.hasNonNull("uri")) {
                rows.add(List.of(e.path("service").asText().toLowerCase(Locale.ROOT), e.get("uri").asText()));
            }
        }
        printRows(out, rows);
    }

    private static String minutes(long ms) {
        long m = Math.max(0, ms) / 60_000;
        return m >= 60 ? m / 60 + " h " + m % 60 + " min" : m + " min";
    }

    /** Columns as wide as their widest cell; the last one as it is. */
    static void printRows(PrintStream out, List<List<String>> rows) {
        int columns = rows.getFirst().size();
        int[] width = new int[columns];
        for (List<String> r : rows) {
            for (int i = 0; i < columns - 1; i++) {
                width[i] = Math.max(width[i], r.get(i).length());
            }
        }
        for (List<String> r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(i < columns - 1 ? String.format("%-" + (width[i] + 2) + "s", r.get(i)) : r.get(i));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String pretty(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (java.io.IOException e) {
            return String.valueOf(node);
        }
    }
}
