package dev.atelier.runtime.kubernetes;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With a namespace per project: makes a project's namespace before its first pod, labelled with the installation
 * and the project, and gives it copies of the source namespace's NetworkPolicies (what keeps instances apart) and of
 * the configured image pull secrets. Each replica does it once per namespace after it starts (so a restart brings
 * the copies up to date with the source); every step is idempotent. A namespace stays when its project's last
 * instance goes: it is the project's, and cheap.
 */
final class ProjectNamespaces {
    private static final Logger log = LoggerFactory.getLogger(ProjectNamespaces.class);

    private final KubernetesCluster cluster;
    private final Set<String> ready = ConcurrentHashMap.newKeySet();

    ProjectNamespaces(KubernetesCluster cluster) {
        this.cluster = cluster;
    }

    /** Makes {@code namespace} ready for the project's pods; nothing to do with one namespace for all. */
    void ensure(String namespace, String projectId) {
        if (!cluster.perProject() || ready.contains(namespace)) {
            return;
        }
        var client = cluster.client();
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(KubernetesCluster.INSTALLATION_LABEL, cluster.installation());
        String project = KubernetesCluster.labelValue(projectId);
        if (project != null) {
            labels.put(KubernetesCluster.PROJECT_LABEL, project);
        }
        var existing = client.namespaces().withName(namespace).get();
        if (existing != null && !cluster.installation().equals(existing.getMetadata().getLabels() == null ? null
                : existing.getMetadata().getLabels().get(KubernetesCluster.INSTALLATION_LABEL))) {
            log.warn("namespace {} exists and was not made by this installation; its NetworkPolicies and pull "
                    + "secrets of the same names as {}'s are replaced by copies", namespace, cluster.source());
        }
        if (existing == null) {
            try {
                client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                        .withLabels(labels).endMetadata().build()).create();
                log.info("made namespace {} for project {}", namespace, projectId);
            } catch (KubernetesClientException e) {
                if (e.getCode() != java.net.HttpURLConnection.HTTP_CONFLICT) { // another replica was first
                    throw e;
                }
            }
        }
        var policies = client.network().v1().networkPolicies().inNamespace(cluster.source()).list().getItems();
        if (policies.isEmpty()) {
            log.warn("namespace {} gets no NetworkPolicy: there is none in {} to copy; instances of different "
                    + "projects can reach each other", namespace, cluster.source());
        }
        for (NetworkPolicy policy : policies) {
            client.resource(new NetworkPolicyBuilder().withMetadata(copied(policy.getMetadata(), namespace, labels))
                    .withSpec(policy.getSpec()).build()).createOr(NonDeletingOperation::update);
        }
        for (String name : cluster.pullSecrets()) {
            Secret secret = client.secrets().inNamespace(cluster.source()).withName(name).get();
            if (secret == null) {
                log.warn("the image pull secret {} is not in {}; pods in {} are made without it", name,
                        cluster.source(), namespace);
                continue;
            }
            client.resource(new SecretBuilder().withMetadata(copied(secret.getMetadata(), namespace, labels))
                    .withType(secret.getType()).withData(secret.getData()).build())
                    .createOr(NonDeletingOperation::update);
        }
        ready.add(namespace);
    }

    /**
     * Where to launch the instance, made ready for it: with a namespace per project, where its work volume is if it
     * has one (made before namespaces were per project: a claim cannot move, and its files are the instance's),
     * else its project's. Only the project's own namespace is made and given copies; an older instance's namespace
     * may be the source itself.
     */
    String forLaunch(String instanceId, String projectId) {
        String namespace = cluster.namespaceOf(projectId);
        if (cluster.perProject()) {
            for (String holding : holding(cluster.client().persistentVolumeClaims(), instanceId)) {
                namespace = holding;
                break;
            }
        }
        if (namespace.equals(cluster.namespaceOf(projectId)) && !namespace.equals(cluster.source())) {
            ensure(namespace, projectId);
        }
        return namespace;
    }

    /**
     * The namespaces that hold objects of a kind of the instance's: the one, or, with a namespace per project, those
     * a list across namespaces finds them in (a deletion by labels is made in one namespace at a time).
     */
    <T extends io.fabric8.kubernetes.api.model.HasMetadata,
            L extends io.fabric8.kubernetes.api.model.KubernetesResourceList<T>,
            R extends io.fabric8.kubernetes.client.dsl.Resource<T>> Set<String> holding(
                    io.fabric8.kubernetes.client.dsl.MixedOperation<T, L, R> kind, String instanceId) {
        if (!cluster.perProject()) {
            return Set.of(cluster.namespace());
        }
        Set<String> found = new java.util.TreeSet<>();
        kind.inAnyNamespace().withLabels(cluster.labelsOf(instanceId)).list().getItems()
                .forEach(o -> found.add(o.getMetadata().getNamespace()));
        return found;
    }

    /** Makes {@code namespace} ready again at its next use (it may have been deleted). */
    void forget(String namespace) {
        ready.remove(namespace);
    }

    /** The name and labels of an object of the source namespace, for its copy in {@code namespace}. */
    private static ObjectMeta copied(ObjectMeta from, String namespace, Map<String, String> labels) {
        Map<String, String> all = new LinkedHashMap<>(from.getLabels() == null ? Map.of() : from.getLabels());
        all.putAll(labels);
        return new ObjectMetaBuilder().withName(from.getName()).withNamespace(namespace).withLabels(all).build();
    }
}
