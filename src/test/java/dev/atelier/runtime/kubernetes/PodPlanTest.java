package dev.atelier.runtime.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.core.model.Feature;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.core.service.Catalog;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an instance is made of in a cluster, checked without one. */
class PodPlanTest {
    private static final String ID = "0b9d2f7e-8a1c-4d3e-9f00-112233445566";
    private static final String TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final KubernetesCluster CLUSTER = new KubernetesCluster(new KubernetesClientBuilder().build(),
            "notebooks", "atelier", "fast-ssd", List.of("registry-creds"));

    private static LaunchSpec spec(Flavor flavor) {
        return spec(flavor, null);
    }

    private static LaunchSpec spec(Flavor flavor, dev.atelier.core.model.Placement placement) {
        Image image = Catalog.builtInImages("team/py:1").get(0);
        return new LaunchSpec(ID, TOKEN, image, flavor, new Volume("EVS", "MANAGED", 20),
                "a1b2c3", "user@example", placement, "5f0c1a52-8d9e-4b4e-9a39-0c0f5b1f2e77");
    }

    @Test
    void aDedicatedPoolsPodsGoToItsLabelledNodesAndTolerateItsTaintOthersGoAnywhere() {
        var placement = new dev.atelier.core.model.Placement(java.util.Map.of("pool", "team-a"), List.of(
                new dev.atelier.core.model.Placement.Toleration("dedicated", "Equal", "team-a", "NoSchedule")));
        var pod = PodPlan.pod(CLUSTER, "atelier-instances", spec(cpu(), placement), 5);
        assertThat(pod.getSpec().getNodeSelector()).containsExactly(java.util.Map.entry("pool", "team-a"));
        assertThat(pod.getSpec().getTolerations()).singleElement().satisfies(t -> {
            assertThat(t.getKey()).isEqualTo("dedicated");
            assertThat(t.getOperator()).isEqualTo("Equal");
            assertThat(t.getValue()).isEqualTo("team-a");
            assertThat(t.getEffect()).isEqualTo("NoSchedule");
        });
        var anywhere = PodPlan.pod(CLUSTER, "atelier-instances", spec(cpu()), 5);
        assertThat(anywhere.getSpec().getNodeSelector()).isNullOrEmpty();
        assertThat(anywhere.getSpec().getTolerations()).isNullOrEmpty();
    }

    private static Flavor cpu() {
        return Flavor.cpu("c", "c", "", Feature.NOTEBOOK, false, 2, 8192, 50);
    }

    @Test
    void theTokenIsInTheSecretAndNowhereInThePod() {
        var pod = PodPlan.pod(CLUSTER, "atelier-instances", spec(cpu()), 10);
        assertThat(Serialization.asJson(pod)).doesNotContain(TOKEN);
        assertThat(PodPlan.secret(CLUSTER, "atelier-instances", spec(cpu())).getStringData().get("jupyter_server_config.json"))
                .contains(TOKEN);
        assertThat(pod.getSpec().getVolumes()).anyMatch(v -> v.getSecret() != null
                && v.getSecret().getSecretName().equals("atelier-" + ID));
        assertThat(pod.getSpec().getVolumes()).as("the server's runtime files (its token) in memory")
                .anyMatch(v -> v.getEmptyDir() != null && "Memory".equals(v.getEmptyDir().getMedium()));
        assertThat(pod.getSpec().getContainers().getFirst().getVolumeMounts())
                .anyMatch(m -> m.getMountPath().equals(dev.atelier.runtime.host.NotebookContainer.RUNTIME_DIR));
    }

    @Test
    void thePodRunsAsTheInstancesUserWithoutPrivilegesOrAServiceAccountToken() {
        var spec = PodPlan.pod(CLUSTER, "atelier-instances", spec(cpu()), 10).getSpec();
        assertThat(spec.getAutomountServiceAccountToken()).isFalse();
        assertThat(spec.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(spec.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
        assertThat(spec.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        var c = spec.getContainers().get(0).getSecurityContext();
        assertThat(c.getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getPrivileged()).isFalse();
        assertThat(c.getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(spec.getRestartPolicy()).isEqualTo("Never");
        assertThat(spec.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("registry-creds");
        assertThat(spec.getTerminationGracePeriodSeconds()).isEqualTo(10L);
    }

    @Test
    void theFlavorBecomesEqualRequestsAndLimitsWithItsAccelerators() {
        var cpu = PodPlan.pod(CLUSTER, "atelier-instances", spec(cpu()), 10).getSpec().getContainers().get(0).getResources();
        assertThat(cpu.getLimits()).isEqualTo(cpu.getRequests());
        assertThat(cpu.getLimits().get("cpu").toString()).isEqualTo("2");
        assertThat(cpu.getLimits().get("memory").toString()).isEqualTo("8192Mi");
        assertThat(cpu.getLimits()).containsOnlyKeys("cpu", "memory");

        Flavor c = cpu();
        Flavor gpu = new Flavor("g", "g", "GPU", "x86_64", "", Feature.NOTEBOOK, false, 8, 65536, List.of("EVS"), 50,
                new Flavor.Gpu(2, "32GB", "V100"), null, false, 1024, null);
        assertThat(PodPlan.resources(gpu).get("nvidia.com/gpu").toString()).isEqualTo("2");
        Flavor named = new Flavor("n", "n", "ASCEND", "aarch64", "", Feature.NOTEBOOK, false, 8, 65536,
                List.of("EVS"), 50, null, new Flavor.Ascend(1, "32GB", "Ascend910", null, null, null), false, 1024,
                Map.of("huawei.com/Ascend910B", 1));
        assertThat(PodPlan.resources(named)).containsKey("huawei.com/Ascend910B").doesNotContainKey("huawei.com/Ascend910");
        assertThat(c.clusterResources()).isEmpty();
    }

    @Test
    void theClaimAsksForTheVolumesCapacityOnTheConfiguredStorageClass() {
        var claim = PodPlan.claim(CLUSTER, "atelier-instances", spec(cpu()));
        assertThat(claim.getMetadata().getName()).isEqualTo("atelier-" + ID + "-work");
        assertThat(claim.getSpec().getStorageClassName()).isEqualTo("fast-ssd");
        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("20Gi");
        assertThat(claim.getMetadata().getLabels()).containsEntry("atelier.dev/installation", "atelier")
                .containsEntry("atelier.dev/instance", ID).containsEntry("atelier.dev/project", "a1b2c3")
                .containsEntry("atelier.dev/owner", "user_example")
                .containsEntry("atelier.dev/request-id", "5f0c1a52-8d9e-4b4e-9a39-0c0f5b1f2e77");
    }

    @Test
    void aNamespacePerProjectIsNamedWithTheProjectsIdOrADigestWhereTheIdCannotBeAName() {
        var c = new KubernetesCluster(CLUSTER.client(), "nb-{project}", "atelier",
                null, List.of(), "atelier-instances");
        assertThat(c.perProject()).isTrue();
        assertThat(c.namespaceOf("0f1e2d3c4b5a69788796a5b4c3d2e1f0")).isEqualTo("nb-0f1e2d3c4b5a69788796a5b4c3d2e1f0");
        assertThat(c.namespaceOf("Team_A")).matches("nb-p-[0-9a-f]{19}").isNotEqualTo(c.namespaceOf("team_a"));
        assertThat(c.namespaceOf("x".repeat(70))).hasSizeLessThanOrEqualTo(63);
        assertThat(c.namespaceOf("p-0123")).as("no id can pass for a digest").startsWith("nb-p-").hasSize(24);
        assertThat(new KubernetesCluster(CLUSTER.client(), "atelier-instances",
                "atelier", null, List.of()).namespaceOf("anything")).isEqualTo("atelier-instances");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new KubernetesCluster(
                CLUSTER.client(), "{project}-{project}", "atelier", null, List.of(), "atelier-instances"))
                .hasMessageContaining("one {project}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new KubernetesCluster(
                CLUSTER.client(), "Bad_{project}", "atelier", null, List.of(), "atelier-instances"))
                .hasMessageContaining("lower-case");
    }

    @Test
    void labelValuesAreMadeFromWhatever() {
        assertThat(KubernetesCluster.labelValue("-x@y.z-")).isEqualTo("x_y.z");
        assertThat(KubernetesCluster.labelValue("@@@")).isNull();
        assertThat(KubernetesCluster.labelValue("a".repeat(80))).hasSize(63);
    }
}
