package dev.atelier.core.model;

import java.util.List;
import java.util.Map;

/**
 * Where on a cluster a pool's instances run: the node labels they need ({@code nodeSelector}) and the taints they
 * tolerate (a dedicated pool's nodes are usually tainted so that nothing else lands there). Runtimes without nodes
 * ignore it.
 */
public record Placement(Map<String, String> nodeSelector, List<Toleration> tolerations) {
    public static final Placement NONE = new Placement(Map.of(), List.of());

    public Placement {
        nodeSelector = Map.copyOf(nodeSelector);
        tolerations = List.copyOf(tolerations);
    }

    /** A taint tolerated: {@code operator} {@code Equal} (with a value) or {@code Exists}; {@code effect} may be null. */
    public record Toleration(String key, String operator, String value, String effect) {
    }
}
