package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workspaces and their quotas (reference §2.23): listed to members, made and limited by administrators. */
class WorkspacesTest {
    @TempDir
    Path dataDir;

    private static String createIn(SignedClient api, String workspace, String name) {
        return TestServer.createBody(name).replaceFirst("\\{", "{\"workspace_id\":\"" + workspace + "\",");
    }

    @Test
    void administratorsMakeWorkspacesThatMembersSeeAndCreateIn() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient admin = server.client();
            SignedClient member = server.addUser("bob");
            JsonNode listed = member.get("/v1/{project_id}/workspaces").json();
            assertThat(listed.get("total_count").asLong()).isEqualTo(1);
            assertThat(listed.get("workspaces").get(0).get("id").asText()).isEqualTo("0");

            Response refused = member.post("/v1/{project_id}/workspaces", "{\"name\": \"team-b\"}");
            assertThat(refused.status()).isEqualTo(403);
            Response made = admin.post("/v1/{project_id}/workspaces", "{\"name\": \"team-a\", \"description\": \"A\"}");
            assertThat(made.status()).as(made.body()).isEqualTo(200);
            String id = made.json().get("id").asText();
            assertThat(id).matches("[0-9a-f]{32}");
            assertThat(made.json().get("status").asText()).isEqualTo("NORMAL");
            assertThat(admin.post("/v1/{project_id}/workspaces", "{\"name\": \"team-a\"}").errorCode())
                    .isEqualTo("ModelArts.6301");
            assertThat(admin.post("/v1/{project_id}/workspaces", "{\"name\": \"a b\"}").status()).isEqualTo(400);

            JsonNode both = member.get("/v1/{project_id}/workspaces?sort_by=name&order=asc").json();
            assertThat(both.get("workspaces")).extracting(w -> w.get("name").asText())
                    .containsExactly("default", "team-a");
            assertThat(member.get("/v1/{project_id}/workspaces?name=TEAM").json().get("total_count").asLong())
                    .isEqualTo(1);
            assertThat(member.get("/v1/{project_id}/workspaces?sort_by=size").status()).isEqualTo(400);
            assertThat(member.get("/v1/{project_id}/workspaces/" + id).json().get("name").asText())
                    .isEqualTo("team-a");

            Response inIt = member.post("/v1/{project_id}/notebooks", createIn(member, id, "in-team-a"));
            assertThat(inIt.status()).as(inIt.body()).isEqualTo(200);
            assertThat(inIt.json().get("workspace_id").asText()).isEqualTo(id);
            assertThat(member.get("/v1/{project_id}/notebooks?workspace_id=" + id).json().get("data"))
                    .extracting(n -> n.get("id").asText()).containsExactly(inIt.json().get("id").asText());
            Response unknown = member.post("/v1/{project_id}/notebooks",
                    createIn(member, "0123456789abcdef0123456789abcdef", "nowhere"));
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.json().get("error_msg").asText()).contains("does not exist");
        }
    }

    @Test
    void anExhaustedWorkspaceQuotaRefusesACreateWith0113AndShowsItsUse() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient admin = server.client();
            SignedClient member = server.addUser("bob");
            String id = admin.post("/v1/{project_id}/workspaces", "{\"name\": \"small\"}").json().get("id").asText();
            JsonNode unlimited = member.get("/v1/{project_id}/workspaces/" + id + "/quotas").json().get("quotas")
                    .get(0);
            assertThat(unlimited.get("resource").asText()).isEqualTo("notebook.instances");
            assertThat(unlimited.get("quota").asLong()).isEqualTo(-1);
            assertThat(unlimited.get("used_quota").isNull()).as("no limit, no use shown").isTrue();

            String body = "{\"quotas\": [{\"resource\": \"notebook.instances\", \"quota\": 2}]}";
            assertThat(member.send("PUT", "/v1/{project_id}/workspaces/" + id + "/quotas", body).status()).isEqualTo(403);
            JsonNode set = admin.send("PUT", "/v1/{project_id}/workspaces/" + id + "/quotas", body).json();
            assertThat(set.get("quotas").get(0).get("quota").asLong()).isEqualTo(2);
            assertThat(set.get("quotas").get(0).get("used_quota").asLong()).isZero();

            assertThat(member.post("/v1/{project_id}/notebooks", createIn(member, id, "one")).status()).isEqualTo(200);
            assertThat(admin.post("/v1/{project_id}/notebooks", createIn(admin, id, "two")).status()).isEqualTo(200);
            Response third = member.post("/v1/{project_id}/notebooks", createIn(member, id, "three"));
            assertThat(third.status()).as(third.body()).isEqualTo(400);
            assertThat(third.errorCode()).isEqualTo("ModelArts.0113");
            assertThat(third.json().get("error_msg").asText()).contains("2 of 2").contains("notebook.instances");
            assertThat(member.post("/v1/{project_id}/notebooks", TestServer.createBody("elsewhere")).status())
                    .as("the default workspace has no limit").isEqualTo(200);
            assertThat(member.get("/v1/{project_id}/workspaces/" + id + "/quotas").json().get("quotas").get(0)
                    .get("used_quota").asLong()).isEqualTo(2);

            Response bad = admin.send("PUT", "/v1/{project_id}/workspaces/" + id + "/quotas",
                    "{\"quotas\": [{\"resource\": \"gpus\", \"quota\": 2}]}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.json().get("error_msg").asText()).contains("notebook.instances");
            assertThat(admin.send("PUT", "/v1/{project_id}/workspaces/0/quotas", body.replace("2", "1")).status())
                    .as("the default workspace can be limited too").isEqualTo(200);
            assertThat(member.post("/v1/{project_id}/notebooks", TestServer.createBody("beyond")).errorCode())
                    .isEqualTo("ModelArts.0113");
        }
    }
}
