package dev.atelier.runtime.kubernetes;

import dev.atelier.core.CrashPoints;
import dev.atelier.core.port.ChangeHints;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.core.port.InstanceShell;
import dev.atelier.runtime.host.JupyterStatus;
import dev.atelier.runtime.host.NotebookContainer;
import java.io.IOException;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each instance as a pod in a Kubernetes cluster: its token in a Secret, its work volume a
 * PersistentVolumeClaim that outlives the pod (a stop deletes the pod, a delete everything), its flavor as
 * requests and limits. The cluster's own scheduler, kubelet and storage do the work; this runtime records what it
 * asked for and reads what the cluster did.
 *
 * <p>Pods are watched (an informer keeps them in memory), so a poll costs no call to the API server; a pod the
 * watch has not seen (yet) is read directly, and when the watch is down every poll reads directly, which is also how
 * an API server that does not answer is noticed. Each launch makes a pod of a new name, so a launch never waits
 * for the pod of an earlier start to finish terminating.
 */
public final class KubernetesRuntime implements InstanceRuntime, ChangeHints, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubernetesRuntime.class);
    static final String POD = "pod";
    /** In the state: the pod's namespace (none in states recorded before namespaces per project: the one). */
    static final String NAMESPACE = "namespace";
    private static final int LOG_TAIL_LINES = 15;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final KubernetesCluster cluster;
    private final long stopGraceSeconds;
    private final JupyterStatus jupyter = new JupyterStatus();
    private final SharedIndexInformer<Pod> pods;
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
    private final PodShell shell;
    /** Where this server runs outside the cluster: its port-forwards to pods, by pod name; else null. */
    private final Map<String, io.fabric8.kubernetes.client.LocalPortForward> forwards;
    private final ProjectNamespaces namespaces;

    /**
     * @param portForward reach notebooks through port-forwards of this server's own (where it runs outside the
     *     cluster and cannot route to pods' addresses), else at the pods' addresses
     */
    public KubernetesRuntime(KubernetesCluster cluster, Duration stopGrace, boolean portForward) {
        this.cluster = cluster;
        this.forwards = portForward ? new java.util.concurrent.ConcurrentHashMap<>() : null;
        this.stopGraceSeconds = Math.max(1, stopGrace.toSeconds());
        this.shell = new PodShell(cluster, this::runningPod);
        this.namespaces = new ProjectNamespaces(cluster);
        this.pods = cluster.scope(cluster.client().pods())
                .withLabel(KubernetesCluster.INSTALLATION_LABEL, cluster.installation())
                .runnableInformer(0);
        pods.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                changed(pod);
            }

            @Override
            public void onUpdate(Pod old, Pod pod) {
                changed(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                changed(pod);
            }
        });
        // started in the background: where the API server does not answer yet, polls read directly meanwhile, and
        // the informer keeps trying (by default it gives up when its first list fails)
        pods.exceptionHandler((started, e) -> {
            log.debug("the watch of this installation's pods failed, trying again: {}", e.toString());
            return true;
        });
        pods.start().whenComplete((ok, e) -> {
            if (e != null) {
                log.warn("cannot watch this installation's pods yet: {}", KubernetesCluster.rootMessage(e));
            }
        });
    }

    /**
     * The namespace a state names. States from before namespaces per project name none: their pod is in the one
     * namespace, which, where namespaces are per project now, is where the watch sees the pod (else the source).
     */
    private String namespaceIn(String instanceId, Map<String, String> state) {
        String namespace = state.get(NAMESPACE);
        if (namespace != null) {
            return namespace;
        }
        if (!cluster.perProject()) {
            return cluster.namespace();
        }
        String pod = state.get(POD);
        var seen = pods.getStore().list().stream().filter(p -> p.getMetadata().getName().equals(pod))
                .map(p -> p.getMetadata().getNamespace()).findFirst();
        if (seen.isPresent()) {
            return seen.get();
        }
        // the watch has not seen it yet (its first list is under way after a restart): ask the API server
        return cluster.scope(cluster.client().pods()).withLabels(labelsOf(instanceId)).list().getItems().stream()
                .filter(p -> p.getMetadata().getName().equals(pod))
                .map(p -> p.getMetadata().getNamespace()).findFirst().orElse(cluster.source());
    }

    private void changed(Pod pod) {
        String id = pod.getMetadata().getLabels().get(KubernetesCluster.INSTANCE_LABEL);
        if (id != null) {
            listeners.forEach(l -> l.accept(id));
        }
    }

    @Override
    public void onChange(Consumer<String> listener) {
        listeners.add(listener);
    }

    @Override
    public <T> Optional<T> capability(Class<T> type) {
        if (type == dev.atelier.core.port.NotebookAddresses.class) {
            return forwards == null ? Optional.empty()
                    : Optional.of(type.cast((dev.atelier.core.port.NotebookAddresses) this::forwarded));
        }
        return type == InstanceShell.class ? Optional.of(type.cast(shell)) : InstanceRuntime.super.capability(type);
    }

    /**
     * The notebook through this server's port-forward to the instance's pod (through the API server), made at
     * first use and again when it has failed.
     */
    private String forwarded(String instanceId, Map<String, String> state, String recorded) throws IOException {
        String pod = state.get(POD);
        if (pod == null) {
            return recorded;
        }
        try {
            var forward = forwards.compute(pod, (name, old) -> {
                if (old != null && old.isAlive() && !old.errorOccurred()) {
                    return old;
                }
                closeQuietly(old);
                return cluster.client().pods().inNamespace(namespaceIn(instanceId, state)).withName(name)
                        .portForward(NotebookContainer.JUPYTER_PORT, java.net.InetAddress.getLoopbackAddress(), 0);
            });
            return "http://127.0.0.1:" + forward.getLocalPort() + "/notebook/" + instanceId + "/tree";
        } catch (KubernetesClientException e) {
            throw new IOException(cluster.failure("cannot forward a port to the instance's pod", e).getMessage(), e);
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** Closes this server's port-forwards to the instance's pods. */
    private void unforward(String instanceId) {
        if (forwards != null) {
            String prefix = KubernetesCluster.nameOf(instanceId) + "-";
            forwards.keySet().removeIf(pod -> {
                if (pod.startsWith(prefix)) {
                    closeQuietly(forwards.get(pod));
                    return true;
                }
                return false;
            });
        }
    }

    /** What this runtime enforces, for the operator. */
    public Map<String, Object> capabilities() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("runtime", "kubernetes");
        c.put("api_server", cluster.client().getMasterUrl().toString());
        c.put("namespace", cluster.perProject() ? cluster.namespace() + " (one per project, NetworkPolicies and "
                + "pull secrets copied from " + cluster.source() + ")" : cluster.namespace());
        c.put("installation", cluster.installation());
        c.put("watching", pods.isWatching());
        c.put("notebooks", forwards == null ? "at the pods' addresses" : "through port-forwards of this server's own");
        c.put("storage_class", cluster.storageClass() == null ? "the cluster's default" : cluster.storageClass());
        c.put("volumes", "a PersistentVolumeClaim each (capacity as the storage class enforces it)");
        c.put("network", "the pod network; NetworkPolicies of deploy/kubernetes keep instances apart");
        return c;
    }

    @Override
    public Launch launch(LaunchSpec spec, ProgressListener progress) {
        String id = spec.instanceId();
        String image = NotebookContainer.reference(spec.image());
        // nothing is recorded for this instance (else it would be polled, not launched): a pod that exists all the
        // same is a launch's that a crash cut off before it was recorded (the watch's cache says whether there is one)
        if (!pods.isWatching() || !podsOf(id).isEmpty()) {
            deletePods(id, 0L);
        }
        try {
            String namespace = namespaces.forLaunch(spec.instanceId(), spec.projectId());
            cluster.client().resource(PodPlan.secret(cluster, namespace, spec)).createOr(NonDeletingOperation::update);
            ensureClaim(namespace, spec);
            CrashPoints.reach("launch.claimed");
            var plan = PodPlan.pod(cluster, namespace, spec, stopGraceSeconds);
            String name = KubernetesCluster.nameOf(id) + "-" + HexFormat.of().formatHex(randomBytes());
            plan.getMetadata().setName(name);
            cluster.client().resource(plan).create();
            log.info("instance {}: made pod {} of {} in namespace {}", id, name, image, namespace);
            return new Launch(Map.of(POD, name, NAMESPACE, namespace), null);
        } catch (KubernetesClientException e) {
            namespaces.forget(cluster.namespaceOf(spec.projectId())); // deleted meanwhile, say: made again next time
            throw cluster.failure("the cluster refused the instance", e);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return b;
    }

    /** The claim, made, or grown to a larger requested capacity (the storage class must allow expansion). */
    private void ensureClaim(String namespace, LaunchSpec spec) {
        var claims = cluster.client().persistentVolumeClaims().inNamespace(namespace);
        PersistentVolumeClaim wanted = PodPlan.claim(cluster, namespace, spec);
        try {
            claims.resource(wanted).create(); // a first start: one call
            return;
        } catch (KubernetesClientException e) {
            if (e.getCode() != java.net.HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
        }
        PersistentVolumeClaim existing = claims.withName(wanted.getMetadata().getName()).get();
        if (existing == null) {
            throw new RuntimeFailure("the instance's volume claim is being deleted; start it again in a moment");
        }
        var requested = wanted.getSpec().getResources().getRequests().get("storage");
        var has = existing.getSpec().getResources() == null ? null
                : existing.getSpec().getResources().getRequests().get("storage");
        if (has == null || requested.getNumericalAmount().compareTo(has.getNumericalAmount()) > 0) {
            try {
                claims.withName(wanted.getMetadata().getName()).edit(c -> {
                    c.getSpec().getResources().getRequests().put("storage", requested);
                    return c;
                });
                log.info("instance {}: asked to grow its volume claim to {}", spec.instanceId(), requested);
            } catch (KubernetesClientException e) {
                throw new RuntimeFailure("the cluster cannot grow the instance's volume to " + requested
                        + " (does its storage class allow volume expansion?): " + KubernetesCluster.rootMessage(e), e);
            }
        }
    }

    @Override
    public Health poll(String instanceId, String token, Map<String, String> state) {
        String name = state.get(POD);
        String namespace = namespaceIn(instanceId, state);
        Pod pod;
        try {
            pod = cachedOrRead(namespace, name);
        } catch (KubernetesClientException e) {
            if (KubernetesCluster.isUnreachable(e)) {
                return Health.unreachable(cluster.unreachable(e));
            }
            throw e;
        }
        if (pod == null) {
            return Health.failed("the instance's pod " + name + " is gone (deleted outside Atelier, or its node "
                    + "was lost)");
        }
        Health health = PodHealth.of(pod, () -> logTail(namespace, name, token));
        if (health.phase() != Phase.READY) {
            return health;
        }
        String at = health.url();
        if (forwards != null) {
            try {
                at = forwarded(instanceId, state, at);
            } catch (IOException e) {
                return Health.startingAt(4, null);
            }
        }
        String base = at.substring(0, at.length() - "tree".length());
        return jupyter.ask(base, token)
                .map(busy -> Health.readyAt(health.url(), busy.orElse(null), null))
                .orElse(Health.startingAt(4, null));
    }

    /** The pod as the watch saw it last; read directly when the watch has not seen it or is down. */
    private Pod cachedOrRead(String namespace, String name) {
        if (pods.isWatching()) {
            Pod cached = pods.getStore().getByKey(namespace + "/" + name);
            if (cached != null) {
                return cached;
            }
        }
        return cluster.client().pods().inNamespace(namespace).withName(name).get();
    }

    /** Reads what users change in their pods, for saving them as images. */
    PodChanges changes() {
        return new PodChanges(cluster, this::runningPod);
    }

    /** The pod an instance runs in, for sessions inside it; a failure where it has none that runs. */
    private Pod runningPod(String instanceId) {
        try {
            for (Pod p : cluster.scope(cluster.client().pods()).withLabels(labelsOf(instanceId)).list()
                    .getItems()) {
                if (p.getStatus() != null && "Running".equals(p.getStatus().getPhase())
                        && p.getMetadata().getDeletionTimestamp() == null) {
                    return p;
                }
            }
        } catch (KubernetesClientException e) {
            throw cluster.failure("cannot look at the instance's pod", e);
        }
        throw new RuntimeFailure("the instance is not running");
    }

    /** The notebook container's last log lines, with the token blanked out. */
    private String logTail(String namespace, String pod, String token) {
        try {
            String text = cluster.client().pods().inNamespace(namespace).withName(pod)
                    .inContainer(PodPlan.CONTAINER).tailingLines(LOG_TAIL_LINES).getLog();
            text = text == null ? "" : text.strip().replace(token, "<token>");
            if (text.contains("executable file not found") || text.contains("jupyter-server: not found")) {
                return "The image has no jupyter-server on its PATH (see docs/images.md). Last lines of its log:\n"
                        + text;
            }
            return "Last lines of its log:\n" + text;
        } catch (KubernetesClientException e) {
            return "Its log could not be read: " + KubernetesCluster.rootMessage(e);
        }
    }

    /**
     * Deletes the instance's pods and waits until they are gone, so that a stopped instance holds nothing of the
     * cluster's and a start that follows does not meet its old pod on the volume; a pod still there after its grace
     * period and a little more (its node does not answer) is deleted at once, as {@code kubectl delete --force}.
     */
    @Override
    public void stop(String instanceId, Map<String, String> state) {
        unforward(instanceId);
        deletePods(instanceId, stopGraceSeconds);
        long deadline = System.nanoTime() + Duration.ofSeconds(stopGraceSeconds + 10).toNanos();
        try {
            while (!podsOf(instanceId).isEmpty()) {
                if (System.nanoTime() > deadline) {
                    log.warn("instance {}: its pod did not terminate within {} s; deleting it at once", instanceId,
                            stopGraceSeconds + 10);
                    deletePods(instanceId, 0L);
                    return;
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The instance's pods: as the watch saw them, or read where the watch is down. */
    private List<Pod> podsOf(String instanceId) {
        if (pods.isWatching()) {
            return pods.getStore().list().stream().filter(p -> instanceId.equals(p.getMetadata().getLabels()
                    .get(KubernetesCluster.INSTANCE_LABEL))).toList();
        }
        try {
            return cluster.scope(cluster.client().pods()).withLabels(labelsOf(instanceId)).list().getItems();
        } catch (KubernetesClientException e) {
            throw cluster.failure("cannot look at the instance's pods", e);
        }
    }

    private void deletePods(String instanceId, long graceSeconds) {
        try {
            for (String namespace : namespaces.holding(cluster.client().pods(), instanceId)) {
                cluster.client().pods().inNamespace(namespace).withLabels(labelsOf(instanceId))
                        .withGracePeriod(graceSeconds).delete();
            }
        } catch (KubernetesClientException e) {
            throw cluster.failure("cannot delete the instance's pod", e);
        }
    }

    private Map<String, String> labelsOf(String instanceId) {
        return cluster.labelsOf(instanceId);
    }

    @Override
    public Set<String> instancesOnHost() {
        Set<String> ids = new TreeSet<>();
        var c = cluster.client();
        String label = KubernetesCluster.INSTALLATION_LABEL;
        try {
            for (List<? extends HasMetadata> items : List.of(
                    cluster.scope(c.pods()).withLabel(label, cluster.installation()).list().getItems(),
                    cluster.scope(c.persistentVolumeClaims()).withLabel(label, cluster.installation()).list()
                            .getItems(),
                    cluster.scope(c.secrets()).withLabel(label, cluster.installation()).list().getItems())) {
                for (HasMetadata item : items) {
                    String id = item.getMetadata().getLabels().get(KubernetesCluster.INSTANCE_LABEL);
                    if (id != null) {
                        ids.add(id);
                    }
                }
            }
        } catch (KubernetesClientException e) {
            log.warn("cannot list this installation's objects in the cluster: {}", KubernetesCluster.rootMessage(e));
        }
        return ids;
    }

    /** Removes the instance's pods, its volume claim (and with it, by the storage class's policy, its data) and secret. */
    @Override
    public void release(String instanceId) {
        unforward(instanceId);
        deletePods(instanceId, 0L);
        try {
            var c = cluster.client();
            for (String namespace : namespaces.holding(c.persistentVolumeClaims(), instanceId)) {
                c.persistentVolumeClaims().inNamespace(namespace).withLabels(labelsOf(instanceId)).delete();
            }
            for (String namespace : namespaces.holding(c.secrets(), instanceId)) {
                c.secrets().inNamespace(namespace).withLabels(labelsOf(instanceId)).delete();
            }
        } catch (KubernetesClientException e) {
            throw cluster.failure("cannot delete the instance's volume and secret", e);
        }
    }

    @Override
    public void close() {
        if (forwards != null) {
            forwards.values().forEach(KubernetesRuntime::closeQuietly);
        }
        pods.close();
        cluster.client().close();
    }
}
