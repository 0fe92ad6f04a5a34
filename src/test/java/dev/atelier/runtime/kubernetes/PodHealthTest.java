package dev.atelier.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.port.InstanceRuntime.Health;
import dev.atelier.core.port.InstanceRuntime.Phase;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a pod's status reads as an instance's: the step a start is at, and what the cluster said. */
class PodHealthTest {
    private static final String ID = "0b9d2f7e-8a1c-4d3e-9f00-112233445566";

    private static Pod pod(PodStatus status) {
        return new PodBuilder().withNewMetadata().withName("atelier-" + ID + "-abc123")
                .addToLabels(KubernetesCluster.INSTANCE_LABEL, ID).endMetadata()
                .withNewSpec().withNodeName("node-7").addNewContainer().withName(PodPlan.CONTAINER)
                .withImage("team/py:1").endContainer().endSpec().withStatus(status).build();
    }

    private static Health health(PodStatus status) {
        return PodHealth.of(pod(status), () -> "Last lines of its log:\nboom");
    }

    private static PodStatusBuilder unscheduled(String message) {
        return new PodStatusBuilder().withPhase("Pending").withConditions(new PodConditionBuilder()
                .withType("PodScheduled").withStatus("False").withReason("Unschedulable").withMessage(message).build());
    }

    private static PodStatusBuilder scheduled(String phase) {
        return new PodStatusBuilder().withPhase(phase).addToConditions(new PodConditionBuilder()
                .withType("PodScheduled").withStatus("True").build());
    }

    private static io.fabric8.kubernetes.api.model.ContainerStatus container(ContainerStateBuilder state) {
        return new ContainerStatusBuilder().withName(PodPlan.CONTAINER).withState(state.build()).build();
    }

    @Test
    void aPodNobodyHasLookedAtYetIsAtTheFirstStep() {
        assertThat(health(null)).isEqualTo(Health.startingAt(1, null));
        assertThat(health(new PodStatusBuilder().withPhase("Pending").build())).isEqualTo(Health.startingAt(1, null));
    }

    @Test
    void aPodNoNodeHasRoomForWaitsAtSchedulingAndSaysWhatIsShort() {
        Health h = health(unscheduled("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.").build());
        assertThat(h.phase()).isEqualTo(Phase.STARTING);
        assertThat(h.step()).isEqualTo(2);
        assertThat(h.notice()).isEqualTo("waiting for a node with room for the instance: 0/3 nodes are available: "
                + "3 Insufficient nvidia.com/gpu.");
    }

    @Test
    void aPodWhoseClaimIsNotBoundWaitsAtStorage() {
        Health h = health(unscheduled("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.")
                .build());
        assertThat(h.step()).isEqualTo(1);
        assertThat(h.notice()).startsWith("waiting for the work volume: ");
    }

    @Test
    void anImageThatCannotBePulledFailsWithWhatTheKubeletSaid() {
        Health h = health(scheduled("Pending").withContainerStatuses(container(new ContainerStateBuilder()
                .withNewWaiting().withReason("ImagePullBackOff").withMessage("Back-off pulling image \"team/py:1\"")
                .endWaiting())).build());
        assertThat(h.phase()).isEqualTo(Phase.FAILED);
        assertThat(h.reason()).isEqualTo("the cluster cannot pull the image team/py:1 (ImagePullBackOff): "
                + "Back-off pulling image \"team/py:1\"");
    }

    @Test
    void aContainerBeingMadeIsAtTheThirdStepAndOneNotYetReadyAtTheFourth() {
        assertThat(health(scheduled("Pending").withContainerStatuses(container(new ContainerStateBuilder()
                .withNewWaiting().withReason("ContainerCreating").endWaiting())).build()).step()).isEqualTo(3);
        assertThat(health(scheduled("Running").withPodIP("10.1.2.3").withContainerStatuses(container(
                new ContainerStateBuilder().withNewRunning().endRunning())).build()).step()).isEqualTo(4);
    }

    @Test
    void aReadyPodAnswersAtItsAddress() {
        Health h = health(scheduled("Running").withPodIP("10.1.2.3").addToConditions(new PodConditionBuilder()
                .withType("Ready").withStatus("True").build()).withContainerStatuses(container(
                new ContainerStateBuilder().withNewRunning().endRunning())).build());
        assertThat(h.phase()).isEqualTo(Phase.READY);
        assertThat(h.url()).isEqualTo("http://10.1.2.3:8888/notebook/" + ID + "/tree");
        assertThat(PodHealth.urlOf("fd00::5", ID)).startsWith("http://[fd00::5]:8888/");
    }

    @Test
    void anEvictionAMemoryKillAndAnExitFailWithTheirReasons() {
        assertThat(health(new PodStatusBuilder().withPhase("Failed").withReason("Evicted")
                .withMessage("The node was low on resource: memory.").build()).reason())
                .isEqualTo("the cluster evicted the instance's pod: The node was low on resource: memory.");
        assertThat(health(scheduled("Failed").withContainerStatuses(container(new ContainerStateBuilder()
                .withNewTerminated().withExitCode(137).withReason("OOMKilled").endTerminated())).build()).reason())
                .isEqualTo("the notebook server was killed for exceeding its flavor's memory. Last lines of its "
                        + "log:\nboom");
        assertThat(health(scheduled("Failed").withContainerStatuses(container(new ContainerStateBuilder()
                .withNewTerminated().withExitCode(3).withReason("Error").endTerminated())).build()).reason())
                .isEqualTo("the notebook server exited with status 3. Last lines of its log:\nboom");
    }

    @Test
    void aPodOfANodeThatDoesNotAnswerIsUnreachableNotFailed() {
        Health h = health(scheduled("Unknown").withMessage("node-7 is not ready").build());
        assertThat(h.phase()).isEqualTo(Phase.UNREACHABLE);
        assertThat(h.reason()).contains("node-7").contains("does not answer");
    }

    @Test
    void aPodBeingDeletedIsFailed() {
        Pod p = pod(scheduled("Running").build());
        p.getMetadata().setDeletionTimestamp("2026-12-06T10:00:00Z");
        assertThat(PodHealth.of(p, () -> "").phase()).isEqualTo(Phase.FAILED);
        assertThat(List.of(PodHealth.of(p, () -> "").reason())).allMatch(r -> r.contains("being deleted"));
    }
}
