package dev.atelier.runtime.kubernetes;

import dev.atelier.core.model.Flavor;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which extended resources (GPUs, NPUs) the cluster's nodes offer, read once when Atelier starts: a flavor that
 * asks for one no node has is listed as sold out. Where the nodes cannot be read (no right to, or no answer), every
 * flavor is offered and the scheduler's answer, shown as the instance's reason, says what is short.
 */
public final class NodeResources {
    private static final Logger log = LoggerFactory.getLogger(NodeResources.class);
    private final List<Map<String, io.fabric8.kubernetes.api.model.Quantity>> allocatable;

    public NodeResources(KubernetesCluster cluster) {
        List<Map<String, io.fabric8.kubernetes.api.model.Quantity>> nodes = null;
        try {
            nodes = cluster.client().nodes().list().getItems().stream()
                    .filter(n -> n.getSpec() == null || !Boolean.TRUE.equals(n.getSpec().getUnschedulable()))
                    .map(Node::getStatus).filter(s -> s != null && s.getAllocatable() != null)
                    .map(s -> s.getAllocatable()).toList();
        } catch (KubernetesClientException e) {
            log.warn("cannot read the cluster's nodes, so every flavor is offered: {}",
                    KubernetesCluster.rootMessage(e));
        }
        this.allocatable = nodes;
    }

    /**
     * What the schedulable nodes hold together: their CPUs, memory, pods and extended resources (GPUs, NPUs, any
     * {@code vendor/name}). No limit where the nodes could not be read.
     */
    public dev.atelier.core.model.Room room() {
        if (allocatable == null) {
            return dev.atelier.core.model.Room.UNLIMITED;
        }
        long cpus = 0;
        long memoryMib = 0;
        long pods = 0;
        long accelerators = 0;
        for (var node : allocatable) {
            for (var e : node.entrySet()) {
                java.math.BigDecimal amount = e.getValue().getNumericalAmount();
                switch (e.getKey()) {
                    case "cpu" -> cpus += amount.longValue();
                    case "memory" -> memoryMib += amount.longValue() / (1024 * 1024);
                    case "pods" -> pods += amount.longValue();
                    default -> accelerators += e.getKey().contains("/") ? amount.longValue() : 0;
                }
            }
        }
        return new dev.atelier.core.model.Room((int) Math.min(Integer.MAX_VALUE, pods), cpus, memoryMib, accelerators);
    }

    /** Whether some node has every extended resource of the flavor, as many as it asks for. */
    public boolean offers(Flavor flavor) {
        Map<String, Integer> wanted = flavor.clusterResources();
        if (wanted.isEmpty() || allocatable == null) {
            return true;
        }
        return allocatable.stream().anyMatch(node -> wanted.entrySet().stream().allMatch(w -> {
            var has = node.get(w.getKey());
            return has != null && has.getNumericalAmount().intValue() >= w.getValue();
        }));
    }
}
