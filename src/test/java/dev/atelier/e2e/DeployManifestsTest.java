package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manifests of deploy/kubernetes, as kustomize builds them (with kubectl, where it is installed; CI installs
 * it), read into fabric8's typed model: every field must be one Kubernetes knows, and the security settings
 * docs/kubernetes.md promises must be there. No API server runs here, so nothing is applied.
 */
class DeployManifestsTest {
    private static final Path DIR = Path.of("deploy/kubernetes");
    private static List<HasMetadata> objects;

    @BeforeAll
    static void build() throws Exception {
        String yaml;
        if (kubectl()) {
            Process p = new ProcessBuilder("kubectl", "kustomize", DIR.toString()).redirectErrorStream(true).start();
            yaml = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("kubectl kustomize: " + yaml).isZero();
        } else if ("required".equals(System.getenv("ATELIER_TEST_DOCKER"))) {
            throw new AssertionError("CI installs kubectl; it is missing");
        } else {
            StringBuilder all = new StringBuilder();
            for (String f : List.of("namespaces", "rbac", "deployment", "service", "ingress", "networkpolicies")) {
                all.append(Files.readString(DIR.resolve(f + ".yaml"))).append("\n---\n");
            }
            yaml = all.toString();
        }
        objects = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.isBlank()) {
                continue;
            }
            objects.add(Serialization.unmarshal(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8))));
        }
    }

    private static boolean kubectl() {
        try {
            return new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start()
                    .waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private static <T> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    @Test
    void everyFieldIsOneKubernetesKnows() throws Exception {
        assertThat(objects).extracting(HasMetadata::getKind).contains("Namespace", "ServiceAccount", "Role",
                "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service", "Ingress",
                "NetworkPolicy");
        List<String> unknown = new ArrayList<>();
        for (HasMetadata o : objects) {
            unknownFields(o, o.getKind() + "/" + o.getMetadata().getName(), unknown);
        }
        assertThat(unknown).as("fields the typed model does not know (misspelt or misplaced)").isEmpty();
    }

    /** Fields the typed model kept as "additional properties": those it has no place for. */
    private static void unknownFields(Object o, String path, List<String> out) throws Exception {
        if (o == null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                unknownFields(e, path + "[" + i++ + "]", out);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), out);
            }
            return;
        }
        if (!(o instanceof KubernetesResource)) {
            return;
        }
        for (Method g : o.getClass().getMethods()) {
            if (g.getParameterCount() != 0 || !g.getName().startsWith("get") || g.getName().equals("getClass")) {
                continue;
            }
            Object v = g.invoke(o);
            if (g.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(v, path + "." + g.getName().substring(3), out);
            }
        }
    }

    @Test
    void replicasRunUnprivilegedOnPostgresWithProbesAndRequests() {
        Deployment d = all(Deployment.class).get(0);
        assertThat(d.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
        var pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getServiceAccountName()).isEqualTo("atelier");
        var c = pod.getContainers().get(0);
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health/ready");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health/live");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        var env = c.getEnv().stream().collect(java.util.stream.Collectors.toMap(e -> e.getName(), e -> e));
        assertThat(env.get("ATELIER_DATABASE_URL").getValueFrom().getSecretKeyRef().getName())
                .as("the database URL comes from a Secret").isEqualTo("atelier-database");
        assertThat(env.get("ATELIER_DATABASE_URL").getValue()).isNull();
        assertThat(env.get("ATELIER_RUNTIME").getValue()).isEqualTo("kubernetes");
        assertThat(env.get("ATELIER_INSTALLATION").getValue()).as("one name for all replicas").isNotBlank();
        assertThat(c.getVolumeMounts()).anyMatch(m -> m.getMountPath().equals("/var/lib/atelier/server.key"))
                .as("every replica has the same server key");
        // the notebook domain the replicas serve is the one the ingress routes
        String domain = env.get("ATELIER_NOTEBOOK_DOMAIN").getValue();
        Ingress ingress = all(Ingress.class).get(0);
        assertThat(ingress.getSpec().getRules()).anyMatch(r -> r.getHost().equals("*." + domain));
    }

    @Test
    void atelierMayDoOnlyWhatTheRuntimeNeedsAndOnlyInTheInstancesNamespace() {
        List<Role> roles = all(Role.class);
        assertThat(roles).hasSize(1);
        Role role = roles.get(0);
        assertThat(role.getMetadata().getNamespace()).isEqualTo("atelier-instances");
        for (var rule : role.getRules()) {
            assertThat(rule.getVerbs()).doesNotContain("*", "escalate", "bind", "impersonate");
            assertThat(rule.getResources()).doesNotContain("*").allMatch(r -> List.of("pods", "pods/exec",
                    "pods/log", "persistentvolumeclaims", "secrets").contains(r));
            assertThat(rule.getApiGroups()).containsExactly("");
        }
        for (ClusterRole cr : all(ClusterRole.class)) {
            assertThat(cr.getRules()).allSatisfy(r -> {
                assertThat(r.getResources()).containsExactly("nodes");
                assertThat(r.getVerbs()).containsExactly("list");
            });
        }
    }

    @Test
    void instancesPodsAreReachedOnlyByAtelierAndReachNeitherEachOtherNorTheCluster() {
        NetworkPolicy instances = all(NetworkPolicy.class).stream()
                .filter(n -> n.getMetadata().getNamespace().equals("atelier-instances")).findFirst().orElseThrow();
        assertThat(instances.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(instances.getSpec().getPodSelector().getMatchLabels())
                .containsEntry("atelier.dev/installation", "atelier");
        var ingress = instances.getSpec().getIngress();
        assertThat(ingress).hasSize(1);
        assertThat(ingress.get(0).getFrom()).allSatisfy(peer -> {
            assertThat(peer.getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/name", "atelier");
            assertThat(peer.getIpBlock()).isNull();
        });
        assertThat(ingress.get(0).getPorts()).extracting(p -> p.getPort().getIntVal()).containsExactly(8888);
        var toAnywhere = instances.getSpec().getEgress().stream().flatMap(e -> e.getTo().stream())
                .filter(peer -> peer.getIpBlock() != null).toList();
        assertThat(toAnywhere).allSatisfy(peer -> assertThat(peer.getIpBlock().getExcept())
                .as("no private address: not the database, not Atelier, not another instance")
                .contains("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"));
        assertThat(instances.getSpec().getEgress().stream().flatMap(e -> e.getTo().stream()))
                .noneMatch(peer -> peer.getPodSelector() != null && peer.getNamespaceSelector() == null)
                .as("no rule lets an instance reach pods of its own namespace");
        for (Namespace ns : all(Namespace.class)) {
            assertThat(ns.getMetadata().getLabels()).containsEntry("pod-security.kubernetes.io/enforce", "restricted");
        }
    }
}
