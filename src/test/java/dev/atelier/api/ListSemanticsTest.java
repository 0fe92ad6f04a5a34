package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.core.model.Feature;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.support.SharedServer;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** List semantics against a known population seeded into the store: filters, sorting, paging edges. */
class ListSemanticsTest extends SharedServer {
    static String me;
    static final List<Instance> SEEDED = new ArrayList<>();

    @BeforeAll
    static void seed() {
        me = server.credentials().get("user_id").asText();
        String p = api.projectId();
        // 12 of mine, 3 of another user's; statuses and features vary
        for (int n = 0; n < 12; n++) {
            seed(p, me, String.format("train-%02d", n), n % 3 == 0 ? InstanceStatus.STOPPED : InstanceStatus.ERROR,
                    n % 4 == 0 ? "DEFAULT" : "NOTEBOOK", n % 2 == 0 ? "modelarts.vm.cpu.2u" : "modelarts.vm.cpu.8u",
                    1_000_000L + n);
        }
        for (int n = 0; n < 3; n++) {
            seed(p, "someone-else", "Other-" + n, InstanceStatus.STOPPED, "NOTEBOOK", "modelarts.vm.cpu.2u",
                    2_000_000L + n);
        }
    }

    static void seed(String project, String owner, String name, InstanceStatus status, String feature,
                     String flavor, long createdAt) {
        Instance i = new Instance(new Instance.Metadata(UUID.randomUUID().toString(), project, owner, "0",
                Feature.valueOf(feature), createdAt, createdAt, 1),
                new Instance.Spec(name, "", flavor, TestServer.IMAGE_ID, new Volume("EVS", "MANAGED", 5),
                        Lease.requested(createdAt, null, LeaseType.TIMING),
                        status == InstanceStatus.STOPPED ? DesiredState.STOPPED : DesiredState.RUNNING),
                new Instance.Observed(status, Progress.waiting(), null, "t", null, Map.of()));
        server.store().insert(i);
        SEEDED.add(i);
    }

    static List<String> names(String query) {
        Response r = api.get("/v1/{project_id}/notebooks" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        r.json().get("data").forEach(n -> names.add(n.get("name").asText()));
        return names;
    }

    @Test
    void theDefaultListIsTheCallersTenNewestWithTheEnvelope() {
        JsonNode body = api.get("/v1/{project_id}/notebooks").json();
        assertThat(body.get("total").asLong()).isEqualTo(12);
        assertThat(body.get("size").asInt()).isEqualTo(10);
        assertThat(body.get("current").asInt()).isZero();
        assertThat(body.get("pages").asInt()).isEqualTo(2);
        assertThat(names("")).startsWith("train-11", "train-10").hasSize(10);
    }

    @Test
    void pagingWalksTheWholeListAndOffsetPastTheEndIsEmpty() {
        List<String> all = new ArrayList<>();
        for (int offset = 0; offset < 12; offset += 5) {
            all.addAll(names("?limit=5&offset=" + offset));
        }
        assertThat(all).hasSize(12).doesNotHaveDuplicates();
        JsonNode page3 = api.get("/v1/{project_id}/notebooks?limit=5&offset=10").json();
        assertThat(page3.get("current").asInt()).isEqualTo(2);
        assertThat(page3.get("pages").asInt()).isEqualTo(3);
        JsonNode beyond = api.get("/v1/{project_id}/notebooks?limit=5&offset=100").json();
        assertThat(beyond.get("data")).isEmpty();
        assertThat(beyond.get("total").asLong()).isEqualTo(12);
        assertThat(names("?limit=1000")).hasSize(12);
        assertThat(api.get("/v1/{project_id}/notebooks?limit=1001").errorCode()).isEqualTo("ModelArts.0107");
        assertThat(api.get("/v1/{project_id}/notebooks?limit=0").errorCode()).isEqualTo("ModelArts.0107");
    }

    @Test
    void eachFilterNarrowsTheList() {
        assertThat(names("?name=rain-0&limit=50")).hasSize(10).allMatch(n -> n.startsWith("train-0"));
        assertThat(names("?status=stopped&limit=50")).containsExactlyInAnyOrder("train-00", "train-03", "train-06",
                "train-09");
        assertThat(names("?feature=DEFAULT&limit=50")).containsExactlyInAnyOrder("train-00", "train-04", "train-08");
        assertThat(names("?flavor=modelarts.vm.cpu.8u&status=ERROR&limit=50")).containsExactlyInAnyOrder(
                "train-01", "train-05", "train-07", "train-11");
        assertThat(names("?workspace_id=0&limit=50")).hasSize(12);
        assertThat(names("?workspaceId=0&limit=50")).hasSize(12);
        assertThat(names("?workspaceId=0123456789abcdef0123456789abcdef")).isEmpty();
        assertThat(names("?pool_id=pool-one")).isEmpty();
        assertThat(names("?owner=someone-else")).containsExactly("Other-2", "Other-1", "Other-0");
        String id = SEEDED.get(5).id();
        assertThat(names("?id=" + id)).containsExactly("train-05");
    }

    @Test
    void listAllShowsEveryInstanceOfTheProject() {
        Response r = api.get("/v1/{project_id}/notebooks/all?limit=50");
        assertThat(r.json().get("total").asLong()).isEqualTo(15);
        Response mine = api.get("/v1/{project_id}/notebooks/all?owner=" + me + "&limit=50");
        assertThat(mine.json().get("total").asLong()).isEqualTo(12);
    }

    @Test
    void sortKeysAndDirectionsAreHonouredAndUnknownKeysRefused() {
        assertThat(names("/all?sort_key=name&sort_dir=ASC&limit=4")).containsExactly("Other-0", "Other-1",
                "Other-2", "train-00");
        assertThat(names("?sort_key=create_at&sort_dir=asc&limit=2")).containsExactly("train-00", "train-01");
        assertThat(names("?sort_key=status,name&sort_dir=DESC&limit=3")).containsExactly("train-09", "train-06",
                "train-03");
        Response unknown = api.get("/v1/{project_id}/notebooks?sort_key=colour");
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.errorCode()).isEqualTo("ModelArts.6303");
        assertThat(api.get("/v1/{project_id}/notebooks?sort_dir=UP").errorCode()).isEqualTo("ModelArts.0107");
        assertThat(api.get("/v1/{project_id}/notebooks?feature=PAID").errorCode()).isEqualTo("ModelArts.0107");
        assertThat(api.get("/v1/{project_id}/notebooks?pool_id=X").errorCode()).isEqualTo("ModelArts.0107");
        assertThat(api.get("/v1/{project_id}/notebooks?tags=team").errorCode()).isEqualTo("ModelArts.0107");
        assertThat(api.get("/v1/{project_id}/notebooks?billing=COMPUTE").errorCode()).isEqualTo("ModelArts.0107");
    }
}
