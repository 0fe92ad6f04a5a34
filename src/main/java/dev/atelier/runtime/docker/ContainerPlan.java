package dev.atelier.runtime.docker;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.BindOptions;
import com.github.dockerjava.api.model.BindPropagation;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.RestartPolicy;
import dev.atelier.core.model.Flavor;
import dev.atelier.runtime.host.NotebookContainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How an instance's container is made, decided apart from the engine so that it can be checked without one:
 * the notebook server's command line, the flavor's limits, accelerators, the user, the mounts and the one port
 * published on 127.0.0.1.
 */
record ContainerPlan(List<String> command, HostConfig hostConfig, Map<String, String> labels, List<String> env) {
    static final int JUPYTER_PORT = NotebookContainer.JUPYTER_PORT;
    static final String USER = NotebookContainer.UID + ":" + NotebookContainer.UID;
    static final String HOME = NotebookContainer.HOME;
    static final String SECRET_CONFIG = NotebookContainer.SECRET_CONFIG;
    static final String WORK = NotebookContainer.WORK;
    static final String DATA = NotebookContainer.DATA;

    /**
     * @param work the host directory of the instance's work volume
     * @param secretConfig the host file that holds the instance's Jupyter token
     * @param attached the host directory under which attached storage is mounted (shared, so that what is mounted
     *     there later appears in the running container)
     * @param hostPort the port on 127.0.0.1 that reaches the notebook server
     * @param requestId the API request that asked for the instance to run, for a label; null when none is known
     */
    static ContainerPlan of(String instanceId, String installation, String network, Flavor flavor, Path work,
                            Path secretConfig, Path attached, int hostPort, String requestId) {
        List<String> command = NotebookContainer.command(instanceId);
        List<Mount> mounts = new ArrayList<>(List.of(
                bind(work, WORK, false, null),
                bind(secretConfig, SECRET_CONFIG, true, null),
                bind(attached, DATA, false, BindPropagation.R_SLAVE)));
        long memory = flavor.memoryMib() * 1024 * 1024;
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(network)
                .withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort),
                        ExposedPort.tcp(JUPYTER_PORT)))
                .withMounts(mounts)
                .withMemory(memory).withMemorySwap(memory)
                .withNanoCPUs(flavor.vcpus() * 1_000_000_000L)
                // the engine's default share, said outright: a warm container's share is lowered while it waits and
                // set back to this, which some runtimes map differently from "unset" on cgroup v2
                .withCpuShares(1024)
                .withPidsLimit((long) flavor.maxProcesses())
                .withCapDrop(Capability.ALL)
                .withSecurityOpts(List.of("no-new-privileges"))
                .withInit(true)
                // the server's runtime files (its token, the kernels' keys) in memory: never in a saved image
                .withTmpFs(Map.of(NotebookContainer.RUNTIME_DIR, "rw,nosuid,nodev,noexec,size=16m,mode=0700,uid="
                        + NotebookContainer.UID + ",gid=" + NotebookContainer.UID))
                // back after the engine restarts (its home, volume and port are the same)
                .withRestartPolicy(RestartPolicy.unlessStoppedRestart());
        accelerators(flavor, host);
        Map<String, String> labels = new java.util.HashMap<>(Map.of(DockerEngine.INSTALLATION_LABEL, installation,
                DockerEngine.INSTANCE_LABEL, instanceId));
        if (requestId != null) {
            labels.put(DockerEngine.REQUEST_LABEL, requestId);
        }
        List<String> env = NotebookContainer.env();
        return new ContainerPlan(command, host, Map.copyOf(labels), env);
    }

    /**
     * GPU flavors ask the engine for that many NVIDIA GPUs (the NVIDIA container toolkit hands them over); Ascend
     * flavors get the NPU devices {@code /dev/davinci0..n-1} with the management devices the driver needs.
     */
    static void accelerators(Flavor flavor, HostConfig host) {
        if (flavor.gpu() != null && flavor.gpu().count() > 0) {
            host.withDeviceRequests(List.of(new DeviceRequest().withDriver("nvidia")
                    .withCount(flavor.gpu().count()).withCapabilities(List.of(List.of("gpu")))));
        }
        if (flavor.ascend() != null && flavor.ascend().npu() > 0) {
            List<Device> devices = new ArrayList<>();
            for (int i = 0; i < flavor.ascend().npu(); i++) {
                devices.add(Device.parse("/dev/davinci" + i));
            }
            for (String d : List.of("/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc")) {
                devices.add(Device.parse(d));
            }
            host.withDevices(devices);
        }
    }

    private static Mount bind(Path source, String target, boolean readOnly, BindPropagation propagation) {
        Mount m = new Mount().withType(MountType.BIND).withSource(source.toString()).withTarget(target)
                .withReadOnly(readOnly);
        return propagation == null ? m : m.withBindOptions(new BindOptions().withPropagation(propagation));
    }
}
