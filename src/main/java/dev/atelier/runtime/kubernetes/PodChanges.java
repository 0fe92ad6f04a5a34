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
            "." + NotebookContainer.SECRET_DIR, "." + NotebookContainer.WORK,
            // the key Jupyter signs trusted notebooks with: the source user's, not for whoever uses the image
            "." + NotebookContainer.HOME + "/.local/share/jupyter/notebook_secret");
    static final String SCRIPT = "test -e " + MARKER + " || { echo 'the server was started by an Atelier that did "
            + "not mark its start; start the instance again' >&2; exit 3; }; "
            // GNU find and tar (a find that fails in a pipe would leave an empty tar that looks fine)
            + "find / -maxdepth 0 -printf '' 2>/dev/null && tar --version 2>/dev/null | grep -q GNU "
            + "|| { echo 'saving needs GNU find and tar in the image' >&2; exit 4; }; "
            + "cd / && find . -xdev -mindepth 1 \\( "
            + String.join(" -o ", LEFT_OUT.stream().map(p -> "-path " + p).toList())
            + " \\) -prune -o -cnewer " + MARKER + " -printf '%P\\0' "
            + "| tar --null --no-recursion --ignore-failed-read -T - -cf -";

    private final KubernetesCluster cluster;
    private final Function<String, Pod> runningPod;

    PodChanges(KubernetesCluster cluster, Function<String, Pod> runningPod) {
        this.cluster = cluster;
        this.runningPod = runningPod;
    }

    /** Whether {@code tar} ends as a whole tar does: with at least two blocks of zeros, a multiple of 512 bytes. */
    static boolean whole(Path tar) {
        try (var file = java.nio.channels.FileChannel.open(tar)) {
            long size = file.size();
            if (size < 1024 || size % 512 != 0) {
                return false;
            }
            java.nio.ByteBuffer end = java.nio.ByteBuffer.allocate(1024);
            file.read(end, size - 1024);
            for (byte b : end.array()) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Writes the instance's changes to {@code tar}; returns the image its pod runs, which they are changes to: by
     * digest where the node says which it pulled (a tag may have moved since), else as the pod names it.
     */
    String capture(String instanceId, Path tar) {
        Pod pod = runningPod.apply(instanceId);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (OutputStream out = Files.newOutputStream(tar);
             ExecWatch watch = cluster.client().pods().inNamespace(pod.getMetadata().getNamespace())
                     .withName(pod.getMetadata().getName()).inContainer(PodPlan.CONTAINER)
                     .writingOutput(out).writingError(err).exec("/bin/sh", "-c", SCRIPT)) {
            Integer exit = watch.exitCode().get(30, TimeUnit.MINUTES);
            code = exit == null ? -1 : exit; // the session ended without saying how
        } catch (KubernetesClientException e) {
            throw cluster.failure("cannot read the instance's changes", e);
        } catch (IOException | ExecutionException | TimeoutException e) {
            throw new RuntimeFailure("cannot read the instance's changes: " + KubernetesCluster.rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while reading the instance's changes");
        }
        if (code != 0 && code != 1) { // GNU tar's 1: a file changed while it was read; it is in, as it was then
            throw new RuntimeFailure("cannot read the instance's changes (exit " + code + "): "
                    + err.toString(StandardCharsets.UTF_8).strip());
        }
        if (!whole(tar)) {
            throw new RuntimeFailure("the instance's changes arrived cut short; try again");
        }
        String named = pod.getSpec().getContainers().get(0).getImage();
        return pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null ? named
                : pod.getStatus().getContainerStatuses().stream()
                        .filter(s -> PodPlan.CONTAINER.equals(s.getName()) && s.getImageID() != null)
                        .map(s -> pinned(named, s.getImageID())).findFirst().orElse(named);
    }

    /** {@code image} at the digest a kubelet reports ({@code docker-pullable://repo@sha256:…}), where it has one. */
    static String pinned(String image, String imageId) {
        int at = imageId.indexOf("@sha256:");
        if (at < 0) {
            return image;
        }
        String repository = image.contains("@") ? image.substring(0, image.indexOf('@')) : image;
        int colon = repository.lastIndexOf(':');
        if (colon > repository.lastIndexOf('/')) {
            repository = repository.substring(0, colon);
        }
        return repository + imageId.substring(at);
    }
}
