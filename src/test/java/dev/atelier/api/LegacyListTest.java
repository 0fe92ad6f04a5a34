package dev.atelier.api;

import dev.atelier.core.model.Feature;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.support.Shape;
import dev.atelier.support.SharedServerWithoutNotebooks;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The legacy list (seed 004): every parameter of its Table 2 against a known population of two users. */
class LegacyListTest extends SharedServerWithoutNotebooks {
    static SignedClient alice;
    static SignedClient bob;

    @BeforeAll
    static void seed() {
        alice = api;
        bob = server.addUser("bob");
        String aliceId = server.credentials().get("user_id").asText();
        String project = alice.projectId();
        // alice: c, a, b, a (a twice: a tie), with creation times in that order; bob: z
        insert(project, aliceId, "c", InstanceStatus.RUNNING, 1000);
        insert(project, aliceId, "a", InstanceStatus.STOPPED, 2000);
        insert(project, aliceId, "b", InstanceStatus.ERROR, 3000);
        insert(project, aliceId, "a", InstanceStatus.CREATING, 4000);
        insert(project, "someone", "z", InstanceStatus.STOPPED, 5000);
        bobHasNoInstanceOfHisOwn();
    }

    static void bobHasNoInstanceOfHisOwn() {
        JsonNode list = bob.get("/v1/{project_id}/demanager/instances?de_type=Notebook").json();
        assertThat(list.get("total_count").asInt()).isZero();
    }

    static void insert(String project, String owner, String name, InstanceStatus status, long at) {
        server.store().insert(new Instance(new Instance.Metadata(UUID.randomUUID().toString(), project, owner, "0",
                Feature.NOTEBOOK, at, at, 1),
                new Instance.Spec(name, "", "modelarts.vm.cpu.2u", TestServer.IMAGE_ID, new Volume("EVS",
                        "MANAGED", 5), Lease.requested(at, null, LeaseType.TIMING), DesiredState.STOPPED),
                new Instance.Observed(status, Progress.waiting(),
                        status == InstanceStatus.ERROR ? "it broke" : null, "t", null, Map.of())));
    }

    static List<String> names(SignedClient c, String query) {
        Response r = c.get("/v1/{project_id}/demanager/instances?de_type=Notebook" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().get("instances").forEach(i -> out.add(i.get("name").asText()));
        return out;
    }

    @Test
    void theDefaultIsTheCallersOwnByNameAscendingAllOfThem() {
        JsonNode body = alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook").json();
        assertThat(body.get("total_count").asInt()).isEqualTo(4);
        assertThat(names(alice, "")).containsExactly("a", "a", "b", "c");
        assertThat(names(alice, "&limit=0")).hasSize(4);
    }

    @Test
    void sortingIsByNameOrCreationInEitherOrderAndTiesAreStable() {
        assertThat(names(alice, "&sortby=creation_timestamp")).containsExactly("c", "a", "b", "a");
        assertThat(names(alice, "&sortby=creation_timestamp&order=desc")).containsExactly("a", "b", "a", "c");
        assertThat(names(alice, "&sortby=name&order=desc")).containsExactly("c", "b", "a", "a");
        JsonNode first = alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook&limit=1").json();
        JsonNode second = alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook&limit=1&offset=1").json();
        String a1 = first.get("instances").get(0).get("id").asText();
        String a2 = second.get("instances").get(0).get("id").asText();
        assertThat(a1).isNotEqualTo(a2);
        for (int i = 0; i < 3; i++) {
            assertThat(alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook&limit=1").json()
                    .get("instances").get(0).get("id").asText()).isEqualTo(a1);
        }
    }

    @Test
    void pagingWithOffsetAndLimitAndPastTheEnd() {
        assertThat(names(alice, "&offset=1&limit=2")).containsExactly("a", "b");
        JsonNode past = alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook&offset=10").json();
        assertThat(past.get("instances")).isEmpty();
        assertThat(past.get("total_count").asInt()).isEqualTo(4);
    }

    @Test
    void filtersNarrowTheList() {
        assertThat(names(alice, "&status=STOPPED")).containsExactly("a");
        assertThat(names(alice, "&status=UNAVAILABLE")).containsExactly("b");
        assertThat(names(alice, "&status=RESIZING")).isEmpty();
        assertThat(names(alice, "&provision_type=Docker")).hasSize(4);
        assertThat(names(alice, "&workspace_id=0")).hasSize(4);
        assertThat(names(alice, "&ai_project=default-ai-project")).hasSize(4);
        assertThat(names(alice, "&ai_project=other")).isEmpty();
        assertThat(names(alice, "&pool_id=pool-one")).isEmpty();
    }

    @Test
    void showSelfFalseShowsEveryInstanceTheCallerMaySee() {
        // bob is a member: he may see only his own, whatever he asks; alice administers the project
        assertThat(names(bob, "")).isEmpty();
        assertThat(names(bob, "&show_self=false")).isEmpty();
        assertThat(names(alice, "&show_self=true")).hasSize(4);
        assertThat(names(alice, "&show_self=false")).containsExactly("a", "a", "b", "c", "z");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "?de_type=notebook", "?de_type=Notebook&status=SLEEPING",
            "?de_type=Notebook&sortby=owner", "?de_type=Notebook&order=ASC", "?de_type=Notebook&offset=-1",
            "?de_type=Notebook&limit=-5", "?de_type=Notebook&limit=x", "?de_type=Notebook&show_self=maybe",
            "?de_type=Notebook&provision_type=VM"})
    void invalidParametersGetALegacyShapedError(String query) {
        Response r = alice.get("/v1/{project_id}/demanager/instances" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("ModelArts.0104");
        assertThat(r.json().get("error_msg").asText()).isNotBlank();
        assertThat(r.json().get("error_message")).isEqualTo(r.json().get("error_msg"));
    }

    static final Shape LEGACY_INSTANCE = Shape.of("LegacyInstance", "id", "s", "name", "s", "description", "s",
            "status", "s", "creation_timestamp", "s", "latest_update_timestamp", "s", "profile", "o", "flavor", "s",
            "flavor_details", "o", "pool", "o?", "spec", "o", "workspace", "o", "ai_project", "o", "error_code", "s?",
            "queuing_info", "o?", "user", "o", "repository", "o?")
            .with("profile", Shape.of("Profile", "id", "s", "name", "s", "description", "s", "de_type", "s",
                    "flavor_type", "s", "provision", "o", "labels", "o")
                    .with("provision", Shape.of("Provision", "type", "s", "spec", "o", "annotations", "o")))
            .with("flavor_details", Shape.of("FlavorDetails", "name", "s", "status", "s", "queuing_num", "i?",
                    "queue_left_time", "i?", "storage_list", "a", "is_permitted", "b", "type", "s", "params", "o",
                    "promo_type", "s", "store_time", "i"))
            .with("queuing_info", Shape.of("QueuingInfo", "id", "s", "name", "s", "de_type", "s", "flavor", "s",
                    "flavor_details", "o", "status", "s", "begin_timestamp", "l", "remain_time", "l?",
                    "end_timestamp", "l?", "rank", "i"))
            .with("spec", Shape.of("Spec", "storage", "o", "extend_storage", "a?", "auto_stop", "o", "annotations", "o",
                    "failed_reasons", "o?", "extend_params", "o?", "repository", "o?")
                    .with("auto_stop", Shape.of("AutoStop", "enable", "b", "duration", "l?", "prompt", "b",
                            "stop_timestamp", "l?", "remain_time", "l?"))
                    .with("failed_reasons", Shape.of("FailedReasons", "code", "s", "message", "s", "detail", "o")))
            .with("user", Shape.of("User", "id", "s", "name", "s"))
            .with("workspace", Shape.of("Workspace", "id", "s"))
            .with("ai_project", Shape.of("AiProject", "id", "s"));

    @Test
    void everyItemHasTheShapeOfTheSeedsTables() {
        alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook&show_self=false").json().get("instances")
                .forEach(LEGACY_INSTANCE::check);
        Shape.of("List", "total_count", "l", "instances", "a")
                .check(alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook").json());
    }

    @Test
    void itemsHaveTheLegacyShape() {
        JsonNode b = alice.get("/v1/{project_id}/demanager/instances?de_type=Notebook&status=UNAVAILABLE").json()
                .get("instances").get(0);
        assertThat(b.get("id").asText()).startsWith("DE-");
        assertThat(b.get("creation_timestamp").isTextual()).isTrue();
        assertThat(b.get("latest_update_timestamp").isTextual()).isTrue();
        assertThat(b.get("profile").get("de_type").asText()).isEqualTo("Notebook");
        assertThat(b.get("profile").get("provision").get("type").asText()).isEqualTo("Docker");
        assertThat(b.get("profile").get("provision").get("spec").get("engine").asText()).isEqualTo("CCE");
        assertThat(b.get("flavor_details").get("status").asText()).isEqualTo("onSale");
        assertThat(b.get("spec").get("storage").get("type").asText()).isEqualTo("evs");
        assertThat(b.get("spec").get("failed_reasons").get("message").asText()).isEqualTo("it broke");
        assertThat(b.get("error_code").asText()).startsWith("ModelArts.");
        assertThat(b.has("queuing_info")).isTrue();
        assertThat(b.get("queuing_info").isNull()).isTrue();
        assertThat(b.get("pool").isNull()).isTrue();
        assertThat(b.get("repository").isNull()).isTrue();
        assertThat(b.get("user").get("name").asText()).isEqualTo("admin");
        assertThat(b.get("workspace").get("id").asText()).isEqualTo("0");
        assertThat(b.get("ai_project").get("id").asText()).isEqualTo("default-ai-project");
    }
}
