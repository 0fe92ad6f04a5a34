package dev.atelier.runtime.kubernetes;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Placement;
import dev.atelier.core.model.Room;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the cluster's schedulable nodes offer, read once when Atelier starts: the room of a pool (the CPUs, memory,
 * pods and extended resources of the nodes its instances may land on: those with its {@code node_selector}'s labels
 * whose every {@code NoSchedule} and {@code NoExecute} taint it tolerates, but for a taint named after an extended
 * resource the node offers, tolerated for pods that ask for it), and which extended resources (GPUs, NPUs)
 * exist at all; a flavor that asks for one no node has is listed as sold out. Where the nodes cannot be read (no
 * right to, or no answer), there is no limit, every flavor is offered and the scheduler's answer, shown as the
 * instance's reason, says what is short.
 */
public final class NodeResources {
    private static final Logger log = LoggerFactory.getLogger(NodeResources.class);
    private static final List<String> KEEPING_OFF = List.of("NoSchedule", "NoExecute");
    private final List<Node> nodes;

    public NodeResources(KubernetesCluster cluster) {
        this(cluster.client());
    }

    public NodeResources(io.fabric8.kubernetes.client.KubernetesClient client) {
        List<Node> read = null;
        try {
            read = client.nodes().list().getItems().stream()
                    .filter(n -> n.getSpec() == null || !Boolean.TRUE.equals(n.getSpec().getUnschedulable()))
                    .filter(n -> n.getStatus() != null && n.getStatus().getAllocatable() != null).toList();
        } catch (KubernetesClientException e) {
            log.warn("cannot read the cluster's nodes, so every flavor is offered: {}",
                    KubernetesCluster.rootMessage(e));
        }
        this.nodes = read;
    }

    /**
     * What the nodes a pool with {@code placement} may land on hold together: their CPUs, memory, pods and extended
     * resources (GPUs, NPUs, any {@code vendor/name}). No limit where the nodes could not be read.
     */
    public Room room(Placement placement) {
        if (nodes == null) {
            return Room.UNLIMITED;
        }
        long cpus = 0;
        long memoryMib = 0;
        long pods = 0;
        long accelerators = 0;
        for (Node node : nodes) {
            if (!admits(node, placement)) {
                continue;
            }
            for (var e : node.getStatus().getAllocatable().entrySet()) {
                java.math.BigDecimal amount = e.getValue().getNumericalAmount();
                switch (e.getKey()) {
                    case "cpu" -> cpus += amount.longValue();
                    case "memory" -> memoryMib += amount.longValue() / (1024 * 1024);
                    case "pods" -> pods += amount.longValue();
                    default -> accelerators += e.getKey().contains("/") ? amount.longValue() : 0;
                }
            }
        }
        return new Room((int) Math.min(Integer.MAX_VALUE, pods), cpus, memoryMib, accelerators);
    }

    /** Whether a pod with the placement may be scheduled on the node: its labels, and its taints tolerated. */
    static boolean admits(Node node, Placement placement) {
        Map<String, String> labels = node.getMetadata() == null || node.getMetadata().getLabels() == null ? Map.of()
                : node.getMetadata().getLabels();
        if (!placement.nodeSelector().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
            return false;
        }
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of()
                : node.getSpec().getTaints();
        Map<String, ?> allocatable = node.getStatus().getAllocatable();
        // a taint named after an extended resource the node offers (nvidia.com/gpu) keeps off only pods that do
        // not ask for it: the ExtendedResourceToleration admission plugin tolerates it for those that do
        return taints.stream().filter(t -> KEEPING_OFF.contains(t.getEffect()))
                .filter(t -> t.getKey() == null || !t.getKey().contains("/") || !allocatable.containsKey(t.getKey()))
                .allMatch(t -> placement.tolerations().stream().anyMatch(tol -> tolerates(tol, t)));
    }

    private static boolean tolerates(Placement.Toleration tol, Taint taint) {
        boolean effect = tol.effect() == null || tol.effect().equals(taint.getEffect());
        if (!effect) {
            return false;
        }
        if ("Exists".equals(tol.operator())) {
            return tol.key() == null || tol.key().isEmpty() || tol.key().equals(taint.getKey());
        }
        return java.util.Objects.equals(tol.key(), taint.getKey())
                && java.util.Objects.equals(tol.value(), taint.getValue() == null ? "" : taint.getValue());
    }

    /** Whether some node has every extended resource of the flavor, as many as it asks for. */
    public boolean offers(Flavor flavor) {
        Map<String, Integer> wanted = flavor.clusterResources();
        if (wanted.isEmpty() || nodes == null) {
            return true;
        }
        return nodes.stream().map(n -> n.getStatus().getAllocatable())
                .anyMatch(node -> wanted.entrySet().stream().allMatch(w -> {
                    var has = node.get(w.getKey());
                    return has != null && has.getNumericalAmount().intValue() >= w.getValue();
                }));
    }
}
