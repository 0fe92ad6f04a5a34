package dev.atelier.runtime.kubernetes;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.port.InstanceRuntime.LaunchSpec;
import dev.atelier.runtime.host.NotebookContainer;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an instance is made of in a cluster, decided apart from the cluster so that it can be checked without one:
 * a Secret with its token, a PersistentVolumeClaim for its work volume, and its Pod (the image, the flavor as
 * requests and limits, a non-root user without privileges, the two volumes, and no service account token).
 */
final class PodPlan {
    /** The notebook container's name in the pod. */
    static final String CONTAINER = "notebook";
    private static final String WORK_VOLUME = "work";
    private static final String SECRET_VOLUME = "token";
    private static final String RUNTIME_VOLUME = "jupyter-runtime";

    private PodPlan() {
    }

    static Map<String, String> labels(KubernetesCluster cluster, LaunchSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(KubernetesCluster.INSTALLATION_LABEL, cluster.installation());
        labels.put(KubernetesCluster.INSTANCE_LABEL, spec.instanceId());
        String project = KubernetesCluster.labelValue(spec.projectId());
        if (project != null) {
            labels.put(KubernetesCluster.PROJECT_LABEL, project);
        }
        String owner = KubernetesCluster.labelValue(spec.ownerId());
        if (owner != null) {
            labels.put(KubernetesCluster.OWNER_LABEL, owner);
        }
        String request = KubernetesCluster.labelValue(spec.requestId());
        if (request != null) {
            labels.put(KubernetesCluster.REQUEST_LABEL, request);
        }
        return labels;
    }

    /** The token, in the Jupyter configuration file the pod mounts; in the pod spec only by the secret's name. */
    static Secret secret(KubernetesCluster cluster, String namespace, LaunchSpec spec) {
        return new SecretBuilder().withNewMetadata().withName(KubernetesCluster.nameOf(spec.instanceId()))
                .withNamespace(namespace).withLabels(labels(cluster, spec)).endMetadata()
                .withType("Opaque") // not immutable: each start writes a new token into it
                .addToStringData(NotebookContainer.SECRET_FILE, NotebookContainer.tokenConfig(spec.token()))
                .build();
    }

    /** The work volume: the requested capacity, on the configured storage class (else the cluster's default). */
    static PersistentVolumeClaim claim(KubernetesCluster cluster, String namespace, LaunchSpec spec) {
        return new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName(KubernetesCluster.claimOf(spec.instanceId())).withNamespace(namespace)
                .withLabels(labels(cluster, spec)).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(cluster.storageClass())
                .withNewResources().addToRequests("storage", gibibytes(spec.volume().capacityGb())).endResources()
                .endSpec().build();
    }

    /** {@code command}, after touching {@link PodChanges#MARKER}. */
    static List<String> startMarked(List<String> command) {
        List<String> marked = new java.util.ArrayList<>(List.of("/bin/sh", "-c",
                "touch " + PodChanges.MARKER + " 2>/dev/null; exec \"$@\"", "notebook"));
        marked.addAll(command);
        return marked;
    }

    static Quantity gibibytes(int gb) {
        return new Quantity(Integer.toString(gb), "Gi");
    }

    static Pod pod(KubernetesCluster cluster, String namespace, LaunchSpec spec, long stopGraceSeconds) {
        String id = spec.instanceId();
        Map<String, Quantity> resources = resources(spec.flavor());
        List<EnvVar> env = NotebookContainer.env().stream().map(e -> {
            int eq = e.indexOf('=');
            return new EnvVar(e.substring(0, eq), e.substring(eq + 1), null);
        }).toList();
        var container = new ContainerBuilder().withName(CONTAINER).withImage(spec.image().runnable())
                .withImagePullPolicy("IfNotPresent")
                // the start is marked first: what changes after it is what saving the instance as an image keeps
                .withCommand(startMarked(NotebookContainer.command(id))).withEnv(env).withWorkingDir(NotebookContainer.WORK)
                .addNewPort().withName("jupyter").withContainerPort(NotebookContainer.JUPYTER_PORT).endPort()
                .withNewResources().withRequests(resources).withLimits(resources).endResources()
                .withNewSecurityContext().withAllowPrivilegeEscalation(false).withPrivileged(false)
                .withNewCapabilities().withDrop("ALL").endCapabilities().endSecurityContext()
                .addNewVolumeMount().withName(WORK_VOLUME).withMountPath(NotebookContainer.WORK).endVolumeMount()
                .addNewVolumeMount().withName(SECRET_VOLUME).withMountPath(NotebookContainer.SECRET_DIR)
                .withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName(RUNTIME_VOLUME).withMountPath(NotebookContainer.RUNTIME_DIR)
                .endVolumeMount()
                // Jupyter's API root answers without a token once the server serves
                .withNewReadinessProbe().withNewHttpGet().withPath("/notebook/" + id + "/api")
                .withNewPort(NotebookContainer.JUPYTER_PORT).endHttpGet().withPeriodSeconds(2).endReadinessProbe()
                .build();
        long uid = NotebookContainer.UID;
        return new PodBuilder().withNewMetadata().withName(KubernetesCluster.nameOf(id))
                .withNamespace(namespace).withLabels(labels(cluster, spec)).endMetadata()
                .withNewSpec()
                .withContainers(container)
                // the reconciler, not the kubelet, decides what follows a crash: it is reported once, with its log
                .withRestartPolicy("Never")
                .withHostname("notebook")
                // a dedicated pool's nodes: those with its labels, tainted for it
                .withNodeSelector(spec.placement().nodeSelector().isEmpty() ? null : spec.placement().nodeSelector())
                .withTolerations(spec.placement().tolerations().stream().map(t -> new TolerationBuilder()
                        .withKey(t.key()).withOperator(t.operator()).withValue(t.value()).withEffect(t.effect())
                        .build()).toList())
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withTerminationGracePeriodSeconds(Math.max(1, stopGraceSeconds))
                .withImagePullSecrets(cluster.pullSecrets().stream().map(LocalObjectReference::new).toList())
                .withNewSecurityContext().withRunAsUser(uid).withRunAsGroup(uid).withFsGroup(uid)
                .withRunAsNonRoot(true).withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                .endSecurityContext()
                .addNewVolume().withName(WORK_VOLUME).withNewPersistentVolumeClaim()
                .withClaimName(KubernetesCluster.claimOf(id)).endPersistentVolumeClaim().endVolume()
                .addNewVolume().withName(SECRET_VOLUME).withNewSecret().withSecretName(KubernetesCluster.nameOf(id))
                .withDefaultMode(0440).endSecret().endVolume()
                // the server's runtime files (its token, the kernels' keys) in memory, the pod user's whatever the
                // image has there (an image saved on Docker has it root's): never in a saved image
                .addNewVolume().withName(RUNTIME_VOLUME).withNewEmptyDir().withMedium("Memory")
                .withSizeLimit(new Quantity("16Mi")).endEmptyDir().endVolume()
                .endSpec().build();
    }

    /** The flavor as requests and limits (equal: the instance gets what it pays for, and no more). */
    static Map<String, Quantity> resources(Flavor flavor) {
        Map<String, Quantity> r = new LinkedHashMap<>();
        r.put("cpu", new Quantity(Integer.toString(flavor.vcpus())));
        r.put("memory", new Quantity(Long.toString(flavor.memoryMib()), "Mi"));
        flavor.clusterResources().forEach((name, count) -> r.put(name, new Quantity(Integer.toString(count))));
        return r;
    }
}
