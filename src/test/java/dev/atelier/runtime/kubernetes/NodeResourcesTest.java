package dev.atelier.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Placement;
import dev.atelier.core.model.Room;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pool's room read from the nodes its instances may land on, against fabric8's mock API server (a stand-in: no
 * real API server runs here; the nodes are objects it stores, as a real one would list them).
 */
@EnableKubernetesMockClient(crud = true)
class NodeResourcesTest {
    static KubernetesClient client;

    private static void node(String name, Map<String, String> labels, List<Taint> taints, boolean unschedulable,
                             int cpus, String memory, Map<String, Integer> extended) {
        Map<String, Quantity> allocatable = new LinkedHashMap<>();
        allocatable.put("cpu", new Quantity(Integer.toString(cpus)));
        allocatable.put("memory", new Quantity(memory));
        allocatable.put("pods", new Quantity("110"));
        extended.forEach((k, v) -> allocatable.put(k, new Quantity(Integer.toString(v))));
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withTaints(taints).withUnschedulable(unschedulable).endSpec()
                .withNewStatus().withAllocatable(allocatable).endStatus().build()).create();
    }

    private static Taint taint(String key, String value, String effect) {
        return new Taint(effect, key, null, value);
    }

    @BeforeEach
    void nodes() {
        client.nodes().delete();
        node("general-1", Map.of("zone", "a"), List.of(), false, 8, "32Gi", Map.of());
        node("general-2", Map.of("zone", "b"), List.of(taint("maintenance", "", "PreferNoSchedule")), false, 8,
                "32Gi", Map.of());
        node("gpu-1", Map.of("pool", "team-a"), List.of(taint("dedicated", "team-a", "NoSchedule")), false, 16,
                "64Gi", Map.of("nvidia.com/gpu", 2));
        node("gpu-2", Map.of("pool", "team-a"), List.of(taint("dedicated", "team-a", "NoSchedule"),
                taint("gpu", "", "NoExecute")), false, 16, "64Gi", Map.of("nvidia.com/gpu", 2));
        node("gpu-3", Map.of("pool", "team-a"), List.of(taint("dedicated", "team-a", "NoSchedule")), true, 16,
                "64Gi", Map.of("nvidia.com/gpu", 2));
        node("gpu-shared", Map.of("zone", "a"), List.of(taint("nvidia.com/gpu", "present", "NoSchedule")), false, 4,
                "16Gi", Map.of("nvidia.com/gpu", 1));
    }

    @Test
    void thePublicPoolHoldsTheSchedulableNodesWhoseTaintsDoNotKeepItsPodsOff() {
        assertThat(new NodeResources(client).room(Placement.NONE))
                .as("a PreferNoSchedule taint only discourages, a GPU node's taint named after its GPUs is tolerated "
                        + "for pods asking for them; other tainted nodes and cordoned ones are left out")
                .isEqualTo(new Room(330, 20, 81920, 1));
    }

    @Test
    void aDedicatedPoolHoldsTheNodesItsSelectorPicksAndWhoseEveryKeepingTaintItTolerates() {
        var nodes = new NodeResources(client);
        Placement equal = new Placement(Map.of("pool", "team-a"),
                List.of(new Placement.Toleration("dedicated", "Equal", "team-a", "NoSchedule")));
        assertThat(nodes.room(equal)).as("gpu-2's NoExecute taint is not tolerated; gpu-3 is cordoned")
                .isEqualTo(new Room(110, 16, 65536, 2));
        Placement exists = new Placement(Map.of("pool", "team-a"),
                List.of(new Placement.Toleration("dedicated", "Exists", null, null),
                        new Placement.Toleration("gpu", "Exists", null, "NoExecute")));
        assertThat(nodes.room(exists)).isEqualTo(new Room(220, 32, 131072, 4));
        Placement wrongValue = new Placement(Map.of("pool", "team-a"),
                List.of(new Placement.Toleration("dedicated", "Equal", "team-b", "NoSchedule")));
        assertThat(nodes.room(wrongValue)).isEqualTo(new Room(0, 0, 0, 0));
        assertThat(nodes.room(new Placement(Map.of("pool", "nobody"), List.of()))).isEqualTo(new Room(0, 0, 0, 0));
        Placement everything = new Placement(Map.of("pool", "team-a"),
                List.of(new Placement.Toleration(null, "Exists", null, null)));
        assertThat(nodes.room(everything)).as("an empty key with Exists tolerates every taint")
                .isEqualTo(new Room(220, 32, 131072, 4));
        Placement anyEffect = new Placement(Map.of("pool", "team-a"),
                List.of(new Placement.Toleration("dedicated", "Equal", "team-a", null)));
        assertThat(nodes.room(anyEffect)).as("Equal with no effect: every effect of that taint")
                .isEqualTo(new Room(110, 16, 65536, 2));
    }
}
