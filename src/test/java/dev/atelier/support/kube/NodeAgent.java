package dev.atelier.support.kube;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import dev.atelier.support.TestRuntime;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One node of the {@link TestCluster}, playing the scheduler, a storage provisioner and the kubelet: it binds every
 * claim (to a directory of its own), schedules pods where the node has the resources they ask for, runs each as a
 * container on the host's Docker engine (its image, command, environment, user, limits, the claim and the secret
 * mounted where the pod says), probes readiness, and writes the pod's status as a kubelet would: conditions, the
 * container's state and the pod's IP (the container's, which the host reaches). It can be told to fail as clusters
 * fail: images that cannot be pulled, evictions, a node that stops answering.
 */
public final class NodeAgent implements AutoCloseable {
    static final String NODE = "test-node-1";
    private static final String POD_LABEL = "atelier.test/pod";
    private static final String AGENT_LABEL = "atelier.test/node-agent";
    /** Keeps a deleted pod until the node has stopped its container, as an API server waits for the kubelet. */
    private static final String FINALIZER = "atelier.test/kubelet";

    private final KubernetesClient client;
    private final Path root;
    private final DockerClient docker = TestRuntime.docker();
    private final String network;
    private final String agentId = Long.toHexString(System.nanoTime());
    private final LinkedBlockingQueue<String> work = new LinkedBlockingQueue<>();
    /** Pods this node runs: namespace/name to container id. */
    private final Map<String, String> containers = new ConcurrentHashMap<>();
    private final Set<String> ready = ConcurrentHashMap.newKeySet();
    /** What the node last said of a pod it cannot run (so that saying it again does not make another event). */
    private final Map<String, String> reported = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<PersistentVolumeClaim> claims;
    private final ExecBridge exec;
    private final PortForwardBridge forward;
    private final Thread worker;
    private final Thread monitor;
    private volatile Map<String, Integer> extended = Map.of();
    private volatile String pullFailure;
    private volatile boolean lost;
    private volatile boolean closed;

    NodeAgent(KubernetesClient client, Path root) throws IOException {
        this.client = client;
        this.root = root;
        Files.createDirectories(root);
        this.network = "atelier-test-node-" + agentId;
        docker.createNetworkCmd().withName(network).withDriver("bridge")
                .withLabels(Map.of(AGENT_LABEL, agentId)).exec();
        this.exec = new ExecBridge(docker, this::containerOf);
        this.forward = new PortForwardBridge(this::addressOf);
        this.pods = client.pods().inAnyNamespace().inform(handler(p -> enqueue(p), this::forget), 0);
        this.claims = client.persistentVolumeClaims().inAnyNamespace().inform(handler(this::bind, this::unbind), 0);
        this.worker = Thread.ofVirtual().name("node-agent").start(this::work);
        this.monitor = Thread.ofVirtual().name("node-agent-monitor").start(this::monitor);
    }

    private static <T> ResourceEventHandler<T> handler(Consumer<T> changed, Consumer<T> deleted) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                changed.accept(obj);
            }

            @Override
            public void onUpdate(T old, T obj) {
                changed.accept(obj);
            }

            @Override
            public void onDelete(T obj, boolean unknown) {
                deleted.accept(obj);
            }
        };
    }

    void offer(Map<String, Integer> resources) {
        this.extended = Map.copyOf(resources);
        reported.clear();
        pods.getStore().list().forEach(this::enqueue);
    }

    /** Pulls fail with {@code message} from now on (null: they work again). */
    public void failPulls(String message) {
        this.pullFailure = message;
    }

    /** Evicts the instance's pod, as a kubelet short of memory does. */
    public void evict(String instanceId) {
        for (Pod p : podsOf(instanceId)) {
            String key = keyOf(p);
            removeContainer(key);
            status(p, s -> {
                s.setPhase("Failed");
                s.setReason("Evicted");
                s.setMessage("The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi.");
            });
        }
    }

    /** The node stops answering: its containers freeze, and its pods' state becomes unknown. */
    public void loseNode() {
        lost = true;
        for (Pod p : pods.getStore().list()) {
            String container = containers.get(keyOf(p));
            if (container != null) {
                docker.pauseContainerCmd(container).exec();
                status(p, s -> {
                    s.setPhase("Unknown");
                    s.setMessage("node " + NODE + " is not ready: Kubelet stopped posting node status.");
                });
            }
        }
    }

    /** The cluster gives up on the lost node: its pods are deleted (they are gone with the node). */
    public void giveUpOnLostNode() {
        lost = false; // its pods' deletion is carried out (their containers removed) as the cluster forgets them
        for (Pod p : pods.getStore().list()) {
            if (containers.containsKey(keyOf(p))) {
                client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
                        .withGracePeriod(0).delete();
            }
        }
    }

    /** The instance's pods, as the cluster has them. */
    public List<Pod> podsOf(String instanceId) {
        return client.pods().inAnyNamespace().withLabel("atelier.dev/instance", instanceId).list().getItems();
    }

    /** The containers that run the instance's pods on this node. */
    public List<String> containersOf(String instanceId) {
        return docker.listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(AGENT_LABEL, agentId, "atelier.dev/instance", instanceId)).exec().stream()
                .map(c -> c.getId()).toList();
    }

    /** The directory that holds a claim's data on this node, or null when the claim is not bound. */
    public Path claimDir(String namespace, String claim) {
        return root.resolve("claims").resolve(namespace).resolve(claim);
    }

    // ---- the work ----------------------------------------------------------------------------------------------

    private void enqueue(Pod p) {
        work.add(keyOf(p));
    }

    private static String keyOf(Pod p) {
        return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    private void work() {
        while (!closed) {
            String key;
            try {
                key = work.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (key == null || lost) {
                continue;
            }
            try {
                reconcile(key);
            } catch (RuntimeException e) {
                if (!closed) {
                    System.err.println("node agent: " + key + ": " + e);
                }
            }
        }
    }

    private void reconcile(String key) {
        String[] nsName = key.split("/", 2);
        Pod pod = client.pods().inNamespace(nsName[0]).withName(nsName[1]).get();
        if (pod == null) {
            removeContainer(key);
            return;
        }
        if (pod.getMetadata().getDeletionTimestamp() != null) { // its container stops, then the pod goes
            removeContainer(key);
            if (pod.getMetadata().getFinalizers().contains(FINALIZER)) {
                client.pods().inNamespace(nsName[0]).withName(nsName[1]).edit(p -> {
                    p.getMetadata().getFinalizers().remove(FINALIZER);
                    return p;
                });
            }
            return;
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Failed".equals(phase) || "Succeeded".equals(phase) || containers.containsKey(key)) {
            return;
        }
        if (pod.getSpec().getNodeName() == null) {
            String shortage = shortage(pod);
            if (shortage != null && !("short " + shortage).equals(reported.put(key, "short " + shortage))) {
                status(pod, s -> {
                    s.setPhase("Pending");
                    s.setConditions(List.of(condition("PodScheduled", "False", "Unschedulable",
                            "0/1 nodes are available: 1 Insufficient " + shortage + ".")));
                });
            }
            if (shortage != null) {
                return;
            }
            pod = client.pods().inNamespace(nsName[0]).withName(nsName[1]).edit(p -> {
                p.getSpec().setNodeName(NODE);
                // as a kubelet, the pod stays (marked for deletion) until its container has stopped
                p.getMetadata().getFinalizers().add(FINALIZER);
                return p;
            });
            status(pod, s -> {
                s.setPhase("Pending");
                s.setConditions(List.of(condition("PodScheduled", "True", null, null)));
                s.setContainerStatuses(List.of(new ContainerStatusBuilder().withName("notebook")
                        .withReady(false).withRestartCount(0)
                        .withState(new ContainerStateBuilder().withNewWaiting().withReason("ContainerCreating")
                                .endWaiting().build()).build()));
            });
        }
        var spec = pod.getSpec().getContainers().get(0);
        String image = spec.getImage();
        String pullProblem = pullFailure != null ? pullFailure : imageMissing(image);
        if (pullProblem != null) {
            if (pullProblem.equals(reported.put(key, pullProblem))) {
                return;
            }
            status(pod, s -> s.setContainerStatuses(List.of(new ContainerStatusBuilder().withName(spec.getName())
                    .withImage(image).withReady(false).withRestartCount(0).withState(new ContainerStateBuilder()
                            .withNewWaiting().withReason("ErrImagePull").withMessage(pullProblem).endWaiting().build())
                    .build())));
            return;
        }
        if (unboundClaim(pod)) {
            return; // as a kubelet, the container waits for its volumes; binding the claim looks at the pod again
        }
        String container = run(pod);
        containers.put(key, container);
        var inspect = docker.inspectContainerCmd(container).exec();
        String ip = inspect.getNetworkSettings().getNetworks().get(network).getIpAddress();
        status(pod, s -> {
            s.setPhase("Running");
            s.setPodIP(ip);
            s.setHostIP("127.0.0.1");
            s.setStartTime(Instant.now().toString());
            s.setConditions(List.of(condition("PodScheduled", "True", null, null),
                    condition("Ready", "False", "ContainersNotReady", "containers with unready status: [notebook]")));
            s.setContainerStatuses(List.of(new ContainerStatusBuilder().withName(spec.getName()).withImage(image)
                    .withReady(false).withRestartCount(0).withStarted(true).withState(new ContainerStateBuilder()
                            .withNewRunning().withStartedAt(Instant.now().toString()).endRunning().build()).build()));
        });
    }

    /** Whether a claim the pod mounts has no data directory on this node yet. */
    private boolean unboundClaim(Pod pod) {
        return pod.getSpec().getVolumes().stream().anyMatch(v -> v.getPersistentVolumeClaim() != null
                && !Files.isDirectory(claimDir(pod.getMetadata().getNamespace(),
                        v.getPersistentVolumeClaim().getClaimName())));
    }

    /** An extended resource the pod asks for more of than the node has, or null. */
    private String shortage(Pod pod) {
        Map<String, Quantity> requests = pod.getSpec().getContainers().get(0).getResources() == null ? Map.of()
                : pod.getSpec().getContainers().get(0).getResources().getRequests();
        for (var r : requests.entrySet()) {
            if (r.getKey().contains("/")) {
                int wanted = r.getValue().getNumericalAmount().intValue();
                if (extended.getOrDefault(r.getKey(), 0) < wanted) {
                    return r.getKey();
                }
            }
        }
        return null;
    }

    private String imageMissing(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return null;
        } catch (NotFoundException e) {
            if (pulled(image)) {
                return null;
            }
            return "rpc error: code = NotFound desc = failed to pull and unpack image \"" + image
                    + "\": not found";
        }
    }

    /** As a kubelet pulls: where the reference names a registry, the image is pulled from it. */
    private boolean pulled(String image) {
        String first = image.contains("/") ? image.substring(0, image.indexOf('/')) : "";
        if (!first.contains(".") && !first.contains(":")) {
            return false; // the test node has no access to public registries
        }
        try {
            return docker.pullImageCmd(image).exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<>())
                    .awaitCompletion(2, java.util.concurrent.TimeUnit.MINUTES);
        } catch (RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Starts the pod's container: as the pod's user, with its limits, its claim and its secret mounted. */
    private String run(Pod pod) {
        var spec = pod.getSpec();
        var c = spec.getContainers().get(0);
        String ns = pod.getMetadata().getNamespace();
        List<Mount> mounts = new ArrayList<>();
        for (var vm : c.getVolumeMounts()) {
            var volume = spec.getVolumes().stream().filter(v -> v.getName().equals(vm.getName())).findFirst()
                    .orElseThrow();
            if (volume.getEmptyDir() != null) { // as the kubelet makes one: a directory of the pod's, mode 0777
                Path dir = root.resolve("empty-dirs").resolve(ns).resolve(pod.getMetadata().getName())
                        .resolve(vm.getName());
                try {
                    Files.createDirectories(dir);
                    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions
                            .fromString("rwxrwxrwx"));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                mounts.add(new Mount().withType(MountType.BIND).withSource(dir.toString())
                        .withTarget(vm.getMountPath()));
                continue;
            }
            Path source;
            if (volume.getPersistentVolumeClaim() != null) {
                source = claimDir(ns, volume.getPersistentVolumeClaim().getClaimName());
            } else if (volume.getSecret() != null) {
                source = secretDir(ns, pod.getMetadata().getName(), volume.getSecret().getSecretName());
            } else {
                throw new IllegalStateException("the test node mounts claims, secrets and emptyDirs only");
            }
            mounts.add(new Mount().withType(MountType.BIND).withSource(source.toString()).withTarget(vm.getMountPath())
                    .withReadOnly(Boolean.TRUE.equals(vm.getReadOnly())));
        }
        long uid = spec.getSecurityContext().getRunAsUser();
        Map<String, String> labels = new HashMap<>(pod.getMetadata().getLabels());
        labels.put(AGENT_LABEL, agentId);
        labels.put(POD_LABEL, ns + "/" + pod.getMetadata().getName());
        var limits = c.getResources().getLimits();
        var host = com.github.dockerjava.api.model.HostConfig.newHostConfig().withNetworkMode(network)
                .withMounts(mounts).withCapDrop(Capability.ALL).withSecurityOpts(List.of("no-new-privileges"))
                .withInit(true)
                .withMemory(Quantity.getAmountInBytes(limits.get("memory")).longValue())
                .withNanoCPUs(Quantity.getAmountInBytes(limits.get("cpu")).multiply(java.math.BigDecimal
                        .valueOf(1_000_000_000L)).longValue());
        String id = docker.createContainerCmd(c.getImage()).withName("k8s-" + ns + "-" + pod.getMetadata().getName())
                .withLabels(labels).withUser(uid + ":" + uid).withHostName(spec.getHostname())
                .withEntrypoint(c.getCommand()).withCmd(c.getArgs() == null ? List.of() : c.getArgs())
                .withEnv(c.getEnv().stream().map(e -> e.getName() + "=" + e.getValue()).toList())
                .withWorkingDir(c.getWorkingDir()).withHostConfig(host).exec().getId();
        docker.startContainerCmd(id).exec();
        return id;
    }

    private Path secretDir(String ns, String pod, String secretName) {
        Secret secret = client.secrets().inNamespace(ns).withName(secretName).get();
        if (secret == null) {
            throw new IllegalStateException("secret " + secretName + " not found");
        }
        Path dir = root.resolve("secrets").resolve(ns).resolve(pod);
        try {
            Files.createDirectories(dir);
            Map<String, String> files = new HashMap<>();
            if (secret.getData() != null) {
                secret.getData().forEach((k, v) -> files.put(k, new String(Base64.getDecoder().decode(v),
                        StandardCharsets.UTF_8)));
            }
            if (secret.getStringData() != null) {
                files.putAll(secret.getStringData());
            }
            for (var f : files.entrySet()) {
                Path file = dir.resolve(f.getKey());
                Files.writeString(file, f.getValue());
                Files.setAttribute(file, "unix:uid", 1000);
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
            }
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void bind(PersistentVolumeClaim claim) {
        if (claim.getStatus() != null && "Bound".equals(claim.getStatus().getPhase())) {
            return;
        }
        Path dir = claimDir(claim.getMetadata().getNamespace(), claim.getMetadata().getName());
        try {
            Files.createDirectories(dir);
            Files.setAttribute(dir, "unix:uid", 1000);
            Files.setAttribute(dir, "unix:gid", 1000);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        client.persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace())
                .withName(claim.getMetadata().getName()).editStatus(c -> {
                    c.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder()
                            .withPhase("Bound").withCapacity(c.getSpec().getResources().getRequests()).build());
                    return c;
                });
        pods.getStore().list().forEach(this::enqueue); // a pod that waited for the claim runs now
    }

    /** A deleted claim's data goes, as a provisioner's with reclaim policy Delete. */
    private void unbind(PersistentVolumeClaim claim) {
        dev.atelier.runtime.host.Trees.delete(claimDir(claim.getMetadata().getNamespace(),
                claim.getMetadata().getName()));
    }

    private void forget(Pod pod) {
        removeContainer(keyOf(pod));
    }

    private void removeContainer(String key) {
        String id = containers.remove(key);
        ready.remove(key);
        reported.remove(key);
        if (id != null) {
            try {
                docker.removeContainerCmd(id).withForce(true).exec();
            } catch (NotFoundException e) {
                // gone already
            }
        }
    }

    /** Readiness probes and exits, as a kubelet watches its containers. */
    private void monitor() {
        while (!closed) {
            try {
                Thread.sleep(250);
                if (!lost) {
                    containers.forEach(this::lookSafely);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One pod's trouble (its container removed under it, its pod deleted meanwhile) never stops the others' probes. */
    private void lookSafely(String key, String container) {
        try {
            look(key, container);
        } catch (RuntimeException e) {
            if (!closed) {
                System.err.println("node agent monitor, pod " + key + ": " + e);
            }
        }
    }

    private void look(String key, String container) {
        Pod pod = pods.getStore().getByKey(key);
        if (pod == null || pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
            return;
        }
        var state = docker.inspectContainerCmd(container).exec().getState();
        if (!Boolean.TRUE.equals(state.getRunning())) {
            boolean oom = Boolean.TRUE.equals(state.getOOMKilled());
            int code = state.getExitCodeLong() == null ? -1 : state.getExitCodeLong().intValue();
            status(pod, s -> {
                s.setPhase("Failed");
                s.setConditions(List.of(condition("PodScheduled", "True", null, null),
                        condition("Ready", "False", "PodFailed", null)));
                s.setContainerStatuses(List.of(new ContainerStatusBuilder().withName("notebook")
                        .withImage(pod.getSpec().getContainers().get(0).getImage()).withReady(false)
                        .withRestartCount(0).withState(new ContainerStateBuilder().withNewTerminated()
                                .withExitCode(code).withReason(oom ? "OOMKilled" : code == 0 ? "Completed" : "Error")
                                .endTerminated().build()).build()));
            });
            return;
        }
        if (ready.contains(key)) {
            return;
        }
        var probe = pod.getSpec().getContainers().get(0).getReadinessProbe();
        String url = "http://" + pod.getStatus().getPodIP() + ":" + probe.getHttpGet().getPort().getIntVal()
                + probe.getHttpGet().getPath();
        try {
            var r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(1)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() >= 200 && r.statusCode() < 400) {
                ready.add(key);
                status(pod, s -> {
                    s.setConditions(List.of(condition("PodScheduled", "True", null, null),
                            condition("Ready", "True", null, null)));
                    s.getContainerStatuses().forEach(cs -> cs.setReady(true));
                });
            }
        } catch (IOException e) {
            // not yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void status(Pod pod, Consumer<io.fabric8.kubernetes.api.model.PodStatus> change) {
        client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                .editStatus(p -> {
                    if (p.getStatus() == null) {
                        p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                    }
                    change.accept(p.getStatus());
                    return p;
                });
    }

    private static PodCondition condition(String type, String status, String reason, String message) {
        return new PodConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastTransitionTime(Instant.now().toString()).build();
    }

    private String containerOf(String namespace, String pod) {
        return containers.get(namespace + "/" + pod);
    }

    /** The address of a pod this node runs; null when it runs none of that name. */
    private String addressOf(String namespace, String pod) {
        Pod p = pods.getStore().getByKey(namespace + "/" + pod);
        String ip = p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
        return containerOf(namespace, pod) == null ? null : ip;
    }

    MockResponse exec(String namespace, String pod, Map<String, List<String>> query) {
        return exec.exec(namespace, pod, query);
    }

    /** Port-forwards opened so far. */
    public long portForwards() {
        return forward.opened();
    }

    MockResponse portForward(String namespace, String pod, Map<String, List<String>> query) {
        return forward.forward(namespace, pod, query);
    }

    /** A container's log, as the API server serves it from the kubelet. */
    MockResponse log(String namespace, String pod, Map<String, List<String>> query) {
        String container = containerOf(namespace, pod);
        if (container == null) {
            return ClusterDispatcher.notFound("pod " + pod + " has no container on a node");
        }
        int tail = Integer.parseInt(query.getOrDefault("tailLines", List.of("100")).get(0));
        StringBuilder out = new StringBuilder();
        try {
            docker.logContainerCmd(container).withStdOut(true).withStdErr(true).withTail(tail)
                    .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                        @Override
                        public void onNext(com.github.dockerjava.api.model.Frame frame) {
                            out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    }).awaitCompletion(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody(out.toString());
    }

    @Override
    public void close() {
        closed = true;
        pods.close();
        claims.close();
        worker.interrupt();
        monitor.interrupt();
        for (var c : docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of(AGENT_LABEL, agentId))
                .exec()) {
            try {
                docker.removeContainerCmd(c.getId()).withForce(true).exec();
            } catch (RuntimeException e) {
                // best effort
            }
        }
        try {
            docker.removeNetworkCmd(network).exec();
        } catch (RuntimeException e) {
            // best effort
        }
    }
}
