package dev.atelier.runtime.kubernetes;

import dev.atelier.core.port.InstanceRuntime.RuntimeFailure;
import dev.atelier.runtime.host.NotebookContainer;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * What the user changed in a running pod outside their work volume, as a tar: every file, directory and link of
 * the container's own file system whose inode changed since the notebook server's start (its status-change time,
 * which unpacking an archive with old dates does not hide), read through the exec API as the pod's user. The
 * pod's start is the marker file its command touches first ({@link #MARKER}). What the cluster mounts into the
 * pod (the work volume, the token, the host's name and resolver files) and what the running server keeps of
 * itself (its runtime files, with their keys) are left out. Deleted files are not seen: a saved image still has
 * what its base had.
 */
final class PodChanges {
    /** Touched by the pod's command before the server starts. */
    static final String MARKER = "/tmp/.atelier-started";
    private static final List<String> LEFT_OUT = List.of("./proc", "./sys", "./dev", "./run", "./var/run",
            "." + NotebookContainer.RUNTIME_DIR, "." + MARKER, "./etc/hostname", "./etc/hosts", "./etc/resolv.conf",
            "." + NotebookContainer.SECRET_DIR, "." + NotebookContainer.WORK);
    static final String SCRIPT = "test -e " + MARKER + " || { echo 'the server was started by an Atelier that did "
            + "not mark its start; start the instance again' >&2; exit 3; }; cd / && find . -xdev -mindepth 1 \\( "
            + String.join(" -o ", LEFT_OUT.stream().map(p -> "-path " + p).toList())
            + " \\) -prune -o -cnewer " + MARKER + " -printf '%P\\0' "
            + "| tar --null --no-recursion --ignore-failed-read -T - -cf -";

    private final KubernetesCluster cluster;
    private final Function<String, Pod> runningPod;

    PodChanges(KubernetesCluster cluster, Function<String, Pod> runningPod) {
        this.cluster = cluster;
        this.runningPod = runningPod;
    }

    /** Writes the instance's changes to {@code tar}; returns the image its pod runs, which they are changes to. */
    String capture(String instanceId, Path tar) {
        Pod pod = runningPod.apply(instanceId);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (OutputStream out = Files.newOutputStream(tar);
             ExecWatch watch = cluster.client().pods().inNamespace(pod.getMetadata().getNamespace())
                     .withName(pod.getMetadata().getName()).inContainer(PodPlan.CONTAINER)
                     .writingOutput(out).writingError(err).exec("/bin/sh", "-c", SCRIPT)) {
            code = watch.exitCode().get(30, TimeUnit.MINUTES);
        } catch (KubernetesClientException e) {
            throw cluster.failure("cannot read the instance's changes", e);
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw new RuntimeFailure("cannot read the instance's changes: " + KubernetesCluster.rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while reading the instance's changes");
        }
        if (code != 0 && code != 1) { // 1: a file changed while it was read; it is in, as it was then
            throw new RuntimeFailure("cannot read the instance's changes (exit " + code + "): "
                    + err.toString(StandardCharsets.UTF_8).strip());
        }
        return pod.getSpec().getContainers().get(0).getImage();
    }
}
