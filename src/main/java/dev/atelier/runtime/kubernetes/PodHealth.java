package dev.atelier.runtime.kubernetes;

import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.runtime.host.NotebookContainer;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What a pod's status says of an instance, in the words a user needs: which of the four steps a start is at (claim
 * bound, scheduled, image pulled and container made, Jupyter ready), and, where it failed or waits, what the
 * cluster said (which resource no node has, why an image cannot be pulled, how the server exited, with the last
 * lines of its log).
 */
final class PodHealth {
    private static final Set<String> PULL_FAILURES = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
            "ErrImageNeverPull", "RegistryUnavailable");
    private static final Set<String> CONFIG_FAILURES = Set.of("CreateContainerConfigError", "CreateContainerError",
            "RunContainerError");

    private PodHealth() {
    }

    /**
     * @param logTail the last lines of the notebook container's log, with the token blanked out (read only where
     *     the server exited)
     */
    static Health of(Pod pod, Supplier<String> logTail) {
        var status = pod.getStatus();
        String phase = status == null || status.getPhase() == null ? "Pending" : status.getPhase();
        if ("Evicted".equals(status == null ? null : status.getReason())) {
            return Health.failed("the cluster evicted the instance's pod: " + status.getMessage());
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            return Health.failed("the instance's pod is being deleted (outside Atelier, or its node was drained)");
        }
        Optional<ContainerStatus> container = status == null || status.getContainerStatuses() == null
                ? Optional.empty() : status.getContainerStatuses().stream()
                        .filter(c -> PodPlan.CONTAINER.equals(c.getName())).findFirst();
        ContainerState state = container.map(ContainerStatus::getState).orElse(null);
        switch (phase) {
            case "Failed", "Succeeded" -> {
                return Health.failed(exited(state, logTail));
            }
            case "Unknown" -> {
                return Health.unreachable("the node running the instance (" + pod.getSpec().getNodeName()
                        + ") does not answer" + (status.getMessage() == null ? "" : ": " + status.getMessage())
                        + "; the instance is back when it does, or fails when the cluster gives up on it");
            }
            default -> {
                // Pending or Running
            }
        }
        if (state != null && state.getTerminated() != null) {
            return Health.failed(exited(state, logTail));
        }
        if (state != null && state.getWaiting() != null) {
            String reason = state.getWaiting().getReason();
            String message = state.getWaiting().getMessage() == null ? reason : state.getWaiting().getMessage();
            if (PULL_FAILURES.contains(reason)) {
                return Health.failed("the cluster cannot pull the image " + pod.getSpec().getContainers().get(0)
                        .getImage() + " (" + reason + "): " + message);
            }
            if (CONFIG_FAILURES.contains(reason)) {
                return Health.failed("the cluster cannot start the notebook container (" + reason + "): " + message);
            }
            return Health.startingAt(3, null); // the image is pulled, the container made
        }
        Optional<PodCondition> scheduled = condition(pod, "PodScheduled");
        if (scheduled.isEmpty() || !"True".equals(scheduled.get().getStatus())) {
            String message = scheduled.map(PodCondition::getMessage).orElse(null);
            if (message == null) {
                return Health.startingAt(1, null);
            }
            if (message.contains("PersistentVolumeClaim") || message.contains("volume")) {
                return Health.startingAt(1, "waiting for the work volume: " + message);
            }
            return Health.startingAt(2, "waiting for a node with room for the instance: " + message);
        }
        if (state == null || state.getRunning() == null) {
            return Health.startingAt(3, null);
        }
        String ip = status.getPodIP();
        boolean ready = condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
        if (!ready || ip == null || ip.isBlank()) {
            return Health.startingAt(4, null);
        }
        return Health.readyAt(urlOf(ip, pod.getMetadata().getLabels().get(KubernetesCluster.INSTANCE_LABEL)), null,
                null);
    }

    static String urlOf(String podIp, String instanceId) {
        String host = podIp.contains(":") ? "[" + podIp + "]" : podIp;
        return "http://" + host + ":" + NotebookContainer.JUPYTER_PORT + "/notebook/" + instanceId + "/tree";
    }

    private static Optional<PodCondition> condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return Optional.empty();
        }
        return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
    }

    private static String exited(ContainerState state, Supplier<String> logTail) {
        var t = state == null ? null : state.getTerminated();
        if (t == null) {
            return "the notebook server's pod ended. " + logTail.get();
        }
        if ("OOMKilled".equals(t.getReason())) {
            return "the notebook server was killed for exceeding its flavor's memory. " + logTail.get();
        }
        String why = t.getReason() == null || t.getReason().equals("Error") ? "" : " (" + t.getReason() + ")";
        return "the notebook server exited with status " + t.getExitCode() + why + ". " + logTail.get();
    }
}
