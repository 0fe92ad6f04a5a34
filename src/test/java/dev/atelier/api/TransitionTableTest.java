package dev.atelier.api;

import dev.atelier.core.model.Feature;
import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.support.SharedServerWithoutNotebooks;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every operation in every one of the 14 statuses, through the API: the legal ones are accepted, the others
 * answer the documented code. Instances are seeded straight into the store in each status; the server has no
 * notebook server installed, so accepted starts fail fast instead of starting Jupyter.
 */
class TransitionTableTest extends SharedServerWithoutNotebooks {
    enum Op {
        START("POST", "/start", null, "cannot start instance"),
        STOP("POST", "/stop", null, "cannot stop instance"),
        DELETE("DELETE", "", null, "cannot delete instance"),
        RENAME("PUT", "", "{\"name\":\"renamed\"}", "cannot update instance"),
        SWITCH_FLAVOR("PUT", "", "{\"flavor\":\"modelarts.vm.cpu.8u\"}", "cannot change the flavor or image of instance"),
        RESIZE("PUT", "", "{\"storage_new_size\":10}", "cannot resize the volume of instance"),
        RENEW_LEASE("PATCH", "/lease", null, "cannot renew lease");

        final String method;
        final String suffix;
        final String body;
        /** What the refusal says is refused. */
        final String refusal;

        Op(String method, String suffix, String body, String refusal) {
            this.method = method;
            this.suffix = suffix;
            this.body = body;
            this.refusal = refusal;
        }
    }

    /** status, operation, expected error code or "OK". */
    static Stream<Arguments> table() {
        String[][] rows = {
            //             START            STOP             DELETE           RENAME           SWITCH_FLAVOR    RESIZE           RENEW_LEASE
            {"INIT",         "6357",          "6357",          "OK",            "6357",          "6347",          "6347",          "6327"},
            {"CREATING",     "6357",          "6357",          "OK",            "6357",          "6347",          "6347",          "6327"},
            {"STARTING",     "6357",          "OK",            "OK",            "6306",          "6347",          "6347",          "6327"},
            {"STOPPING",     "6308",          "6357",          "OK",            "6357",          "6347",          "6347",          "6327"},
            {"DELETING",     "6357",          "6357",          "6357",          "6357",          "6347",          "6347",          "6327"},
            {"SNAPSHOTTING", "6357",          "6357",          "OK",            "6357",          "6347",          "6347",          "6327"},
            {"RUNNING",      "6357",          "OK",            "OK",            "OK",            "6347",          "OK",            "OK"},
            {"STOPPED",      "OK",            "6357",          "OK",            "OK",            "OK",            "OK",            "6327"},
            {"CREATE_FAILED", "6357",         "6357",          "OK",            "OK",            "6347",          "6347",          "6327"},
            {"START_FAILED", "OK",            "6357",          "OK",            "OK",            "6347",          "6347",          "6327"},
            {"DELETE_FAILED", "6357",         "6357",          "OK",            "OK",            "6347",          "6347",          "6327"},
            {"ERROR",        "OK",            "6357",          "OK",            "OK",            "6347",          "6347",          "6327"},
            {"DELETED",      "6357",          "6357",          "6357",          "6357",          "6347",          "6347",          "6327"},
            {"FROZEN",       "6326",          "6326",          "6326",          "6326",          "6326",          "6326",          "6326"},
        };
        Stream.Builder<Arguments> out = Stream.builder();
        for (String[] row : rows) {
            for (Op op : Op.values()) {
                out.add(Arguments.of(InstanceStatus.valueOf(row[0]), op, row[op.ordinal() + 1]));
            }
        }
        return out.build();
    }

    @ParameterizedTest(name = "{1} in {0} -> {2}")
    @MethodSource("table")
    void everyOperationIsLegalOnlyWhereTheTableSays(InstanceStatus status, Op op, String expected) {
        String id = seed(status);
        Response r = api.send(op.method, "/v1/{project_id}/notebooks/" + id + op.suffix, op.body);
        if (expected.equals("OK")) {
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        } else {
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.errorCode()).isEqualTo("ModelArts." + expected);
            assertThat(r.json().get("error_msg").asText()).contains(status.name()).contains(op.refusal);
        }
    }

    /** An instance in {@code status}, with a desired state that leaves the reconciler nothing to do. */
    private static String seed(InstanceStatus status) {
        long now = System.currentTimeMillis();
        DesiredState desired = status == InstanceStatus.DELETING || status == InstanceStatus.DELETED
                ? DesiredState.DELETED : DesiredState.STOPPED;
        Instance i = new Instance(new Instance.Metadata(UUID.randomUUID().toString(), api.projectId(), "seed", "0",
                Feature.NOTEBOOK, now, now, 1),
                new Instance.Spec("seeded", "", "modelarts.vm.cpu.2u", TestServer.IMAGE_ID, new Volume("EVS",
                        "MANAGED", 5), Lease.requested(now, null, LeaseType.TIMING), desired),
                new Instance.Observed(status, Progress.waiting(), null, "t", null, Map.of()));
        server.store().insert(i);
        return i.id();
    }
}
