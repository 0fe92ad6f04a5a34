package dev.atelier.runtime.kubernetes;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The cluster Atelier runs instances on, and who this installation is to it: every object it makes there carries
 * the installation's label, so that two installations sharing a namespace never touch each other's.
 *
 * @param namespace where instances' pods, claims and secrets are made: one namespace, or, where it holds
 *     {@value #PROJECT}, a namespace per project made from it ({@code atelier-{project}})
 * @param installation this installation's name, the same for all its replicas
 * @param storageClass the storage class of work volumes; null for the cluster's default
 * @param pullSecrets image pull secrets (in {@code namespace}) that instances' pods get
 * @param source with a namespace per project: the namespace whose NetworkPolicies and pull secrets each project's
 *     namespace gets a copy of when it is made
 */
public record KubernetesCluster(KubernetesClient client, String namespace, String installation, String storageClass,
                                List<String> pullSecrets, String source) {
    /** Label of everything Atelier makes in the cluster: the installation it belongs to. */
    static final String INSTALLATION_LABEL = "atelier.dev/installation";
    /** Label of an instance's objects: the instance's id. */
    static final String INSTANCE_LABEL = "atelier.dev/instance";
    static final String PROJECT_LABEL = "atelier.dev/project";
    static final String OWNER_LABEL = "atelier.dev/owner";
    /** Label of what a launch makes: the API request that asked for the instance to run (its request id). */
    static final String REQUEST_LABEL = "atelier.dev/request-id";
    private static final String LABEL_VALUE = "([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)";

    /** In {@code namespace}, what stands for the project. */
    public static final String PROJECT = "{project}";
    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
    /** What stands for a project whose id cannot be part of a namespace's name: a digest of it, this long. */
    private static final int DIGEST_CHARS = 21;

    public KubernetesCluster {
        if (namespace.contains(PROJECT)) {
            String longest = namespace.replace(PROJECT, "p" + "0".repeat(DIGEST_CHARS - 1));
            if (namespace.indexOf(PROJECT) != namespace.lastIndexOf(PROJECT) || !longest.matches(DNS_LABEL)) {
                throw new IllegalArgumentException("a namespace per project is named from one " + PROJECT + " in "
                        + "lower-case letters, digits and '-', at most " + (63 - DIGEST_CHARS + PROJECT.length())
                        + " characters in all, not " + namespace);
            }
            if (source == null || !source.matches(DNS_LABEL)) {
                throw new IllegalArgumentException("not a namespace name: " + source);
            }
        } else if (!namespace.matches(DNS_LABEL)) {
            throw new IllegalArgumentException("not a namespace name: " + namespace);
        }
        if (!installation.matches(LABEL_VALUE)) {
            throw new IllegalArgumentException("an installation's name is 1-63 letters, digits, '-', '_' or '.', "
                    + "not " + installation);
        }
        pullSecrets = List.copyOf(pullSecrets);
    }

    public KubernetesCluster(KubernetesClient client, String namespace, String installation, String storageClass,
                             List<String> pullSecrets) {
        this(client, namespace, installation, storageClass, pullSecrets, null);
    }

    /** The labels that find the instance's objects of this installation. */
    java.util.Map<String, String> labelsOf(String instanceId) {
        return java.util.Map.of(INSTALLATION_LABEL, installation, INSTANCE_LABEL, instanceId);
    }

    /** Whether each project's instances are in a namespace of its own. */
    public boolean perProject() {
        return namespace.contains(PROJECT);
    }

    /**
     * The namespace of a project's instances: the one namespace, or the project's own, named with its id where the
     * id fits a namespace's name, else with a digest of it (never two projects in one namespace).
     */
    public String namespaceOf(String projectId) {
        if (!perProject()) {
            return namespace;
        }
        String named = namespace.replace(PROJECT, projectId == null ? "" : projectId);
        if (projectId != null && named.matches(DNS_LABEL) && !projectId.startsWith("p-")) {
            return named;
        }
        String digest = dev.atelier.core.auth.SdkHmacSha256.sha256Hex(
                String.valueOf(projectId).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return namespace.replace(PROJECT, "p-" + digest.substring(0, DIGEST_CHARS - 2));
    }

    /**
     * Objects of a kind wherever this installation makes them: in its namespace, or, with a namespace per project,
     * in any (listing and watching across namespaces needs a ClusterRole).
     */
    <T extends io.fabric8.kubernetes.api.model.HasMetadata,
            L extends io.fabric8.kubernetes.api.model.KubernetesResourceList<T>,
            R extends io.fabric8.kubernetes.client.dsl.Resource<T>>
            io.fabric8.kubernetes.client.dsl.AnyNamespaceOperation<T, L, R> scope(
                    io.fabric8.kubernetes.client.dsl.MixedOperation<T, L, R> kind) {
        return perProject() ? kind.inAnyNamespace() : kind.inNamespace(namespace);
    }

    /**
     * Connects with {@code kubeconfig} where given, else as fabric8 finds its way: {@code KUBECONFIG} or
     * {@code ~/.kube/config}, or the service account of the pod Atelier runs in.
     */
    public static KubernetesCluster connect(Path kubeconfig, String namespace, String installation,
                                            String storageClass, List<String> pullSecrets, String source) {
        Config config;
        if (kubeconfig != null) {
            try {
                config = Config.fromKubeconfig(Files.readString(kubeconfig));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the kubeconfig " + kubeconfig + ": " + e.getMessage());
            }
        } else {
            config = Config.autoConfigure(null);
        }
        config.setRequestTimeout(10_000);
        config.setConnectionTimeout(5_000);
        // a call that cannot reach the API server is reported at once; the reconciler tries again
        config.setRequestRetryBackoffLimit(0);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
        return new KubernetesCluster(client, namespace, installation, storageClass, pullSecrets, source);
    }

    /** Why the cluster cannot be used, or null when its API server answers. */
    public String problem() {
        try {
            scope(client.pods()).withLabel(INSTALLATION_LABEL, installation).list();
            return null;
        } catch (KubernetesClientException e) {
            return isUnreachable(e) ? unreachable(e) : "the cluster refuses to list pods in "
                    + (perProject() ? "all namespaces (a namespace per project needs a ClusterRole)"
                    : "namespace " + namespace) + ": " + rootMessage(e);
        }
    }

    /** What to tell a user when a call failed for want of an API server. */
    String unreachable(RuntimeException e) {
        return "the cluster's API server at " + client.getMasterUrl() + " does not answer (" + rootMessage(e)
                + "); instances converge once it answers again";
    }

    /** Whether a failure is the API server not answering at all, rather than an answer that says no. */
    static boolean isUnreachable(RuntimeException e) {
        if (e instanceof KubernetesClientException k && k.getCode() >= 500) {
            return true; // answered, but cannot say (an API server without its store, a proxy without a backend)
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof java.util.concurrent.TimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** A failed call as one line for a status message. */
    RuntimeFailure failure(String doing, RuntimeException e) {
        return isUnreachable(e) ? new RuntimeFailure(unreachable(e), e)
                : new RuntimeFailure(doing + ": " + rootMessage(e), e);
    }

    static String rootMessage(Throwable e) {
        if (e instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
            return k.getStatus().getMessage();
        }
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return (t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage()).strip();
    }

    /** The name of an instance's pod and secret. */
    static String nameOf(String instanceId) {
        if (!instanceId.matches("[0-9a-f-]{36}")) {
            throw new IllegalArgumentException("not an instance id: " + instanceId);
        }
        return "atelier-" + instanceId;
    }

    /** The name of an instance's work volume claim. */
    static String claimOf(String instanceId) {
        return nameOf(instanceId) + "-work";
    }

    /** A label value from something that may not be one (an owner's id); null when nothing of it fits. */
    static String labelValue(String value) {
        if (value == null) {
            return null;
        }
        String v = value.replaceAll("[^-A-Za-z0-9_.]", "_");
        v = v.length() > 63 ? v.substring(0, 63) : v;
        v = v.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
        return v.isEmpty() ? null : v;
    }
}
