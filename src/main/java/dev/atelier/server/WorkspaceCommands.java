package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier workspace …}: a project's workspaces and how many instances each may hold, through the v1 API
 * (docs/capacity.md); the rules (who may create, who may set a quota) are the API's. Options and exit codes as in
 * {@link NotebookCommands}.
 */
@Command(name = "workspace", mixinStandardHelpOptions = true,
        description = "Workspaces of a project: list, show, create, quota.",
        subcommands = {WorkspaceCommands.ListCmd.class, WorkspaceCommands.Show.class, WorkspaceCommands.Create.class,
                WorkspaceCommands.Quota.class})
final class WorkspaceCommands {
    private static final String WORKSPACES = "/v1/{project_id}/workspaces";
    /** The one quota a workspace has: how many notebook instances it holds. */
    private static final String NOTEBOOKS = "notebook.instances";

    private WorkspaceCommands() {
    }

    private static void rows(NotebookCommands.Connection c, Iterable<JsonNode> workspaces) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("ID", "NAME", "OWNER", "AUTH", "STATUS", "DESCRIPTION"));
        for (JsonNode w : workspaces) {
            rows.add(List.of(w.path("id").asText(), w.path("name").asText(), w.path("owner").asText(),
                    w.path("auth_type").asText(), w.path("status").asText(), w.path("description").asText()));
        }
        NotebookCommands.printRows(c.out, rows);
    }

    @Command(name = "list", description = "List the project's workspaces.")
    static final class ListCmd implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Option(names = "--name", description = "Names containing this.")
        String name;

        @Override
        public Integer call() {
            String q = name == null ? "" : "?name=" + AdminCommands.enc(name);
            return c.run(api -> c.print(api.send("GET", WORKSPACES + q, null),
                    page -> rows(c, page.path("workspaces"))));
        }
    }

    @Command(name = "show", description = "Show a workspace.")
    static final class Show implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Workspace id (0: the default one).")
        String id;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("GET", WORKSPACES + "/" + AdminCommands.enc(id), null),
                    w -> rows(c, List.of(w))));
        }
    }

    @Command(name = "create", description = "Create a workspace (the project's administrators).")
    static final class Create implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Its name: 1 to 64 letters, digits, - and _.")
        String name;
        @Option(names = "--description", description = "A description.")
        String description;
        @Option(names = "--auth-type", description = "PUBLIC (every member; the default), PRIVATE or INTERNAL.")
        String authType;

        @Override
        public Integer call() {
            ObjectNode body = JsonNodeFactory.instance.objectNode().put("name", name);
            if (description != null) {
                body.put("description", description);
            }
            if (authType != null) {
                body.put("auth_type", authType);
            }
            return c.run(api -> c.print(api.send("POST", WORKSPACES, body.toString()),
                    w -> c.out.println(w.path("id").asText())));
        }
    }

    @Command(name = "quota", description = "Show a workspace's quota on notebook instances; --set changes it "
            + "(the project's administrators; -1: no limit).")
    static final class Quota implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Workspace id.")
        String id;
        @Option(names = "--set", description = "How many notebook instances it may hold; -1: no limit.")
        Long set;

        @Override
        public Integer call() {
            String path = WORKSPACES + "/" + AdminCommands.enc(id) + "/quotas";
            String body = null;
            if (set != null) {
                ObjectNode quota = JsonNodeFactory.instance.objectNode();
                quota.putArray("quotas").addObject().put("resource", NOTEBOOKS).put("quota", set);
                body = quota.toString();
            }
            String sent = body;
            return c.run(api -> c.print(api.send(sent == null ? "GET" : "PUT", path, sent), quotas -> {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("RESOURCE", "LIMIT", "USED"));
                for (JsonNode q : quotas.path("quotas")) {
                    rows.add(List.of(q.path("resource").asText(), q.path("quota").asText(),
                            q.path("used_quota").isNull() ? "-" : q.path("used_quota").asText()));
                }
                NotebookCommands.printRows(c.out, rows);
            }));
        }
    }
}
