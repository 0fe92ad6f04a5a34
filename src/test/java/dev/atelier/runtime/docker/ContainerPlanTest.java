package dev.atelier.runtime.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.DeviceRequest;
import com.github.dockerjava.api.model.Mount;
import dev.atelier.core.model.Feature;
import dev.atelier.core.model.Flavor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a flavor becomes a container, checked where no GPU or NPU exists. */
class ContainerPlanTest {
    private static final Path WORK = Path.of("/data/containers/i/work");

    private static final String REQUEST = "5f0c1a52-8d9e-4b4e-9a39-0c0f5b1f2e77";

    private static ContainerPlan plan(Flavor flavor) {
        return ContainerPlan.of("0b0f4f52-4c56-4f2a-9d44-2d1f4f0c8e11", "abcdef012345", "net", flavor, WORK,
                Path.of("/data/containers/i/secret/jupyter_server_config.json"), Path.of("/data/containers/i/data"),
                23456, REQUEST);
    }

    private static Flavor withAccelerators(Flavor.Gpu gpu, Flavor.Ascend ascend) {
        Flavor cpu = Flavor.cpu("f", "f", "", Feature.NOTEBOOK, false, 8, 65536, 50);
        return new Flavor(cpu.id(), cpu.name(), gpu != null ? "GPU" : "ASCEND", cpu.arch(), cpu.description(),
                cpu.feature(), false, 8, 65536, cpu.storages(), 50, gpu, ascend, false, 500, null);
    }

    @Test
    void aCpuFlavorsLimitsBecomeTheContainersAndNoDeviceIsAskedFor() {
        ContainerPlan p = plan(Flavor.cpu("c", "c", "", Feature.NOTEBOOK, false, 2, 4096, 50));
        assertThat(p.hostConfig().getNanoCPUs()).isEqualTo(2_000_000_000L);
        assertThat(p.hostConfig().getCpuShares()).as("the share a warm container is set back to").isEqualTo(1024);
        assertThat(p.hostConfig().getMemory()).isEqualTo(4096L * 1024 * 1024);
        assertThat(p.hostConfig().getMemorySwap()).as("no swap beyond the memory limit").isEqualTo(4096L * 1024 * 1024);
        assertThat(p.hostConfig().getPidsLimit()).isEqualTo((long) Flavor.DEFAULT_MAX_PROCESSES);
        assertThat(p.hostConfig().getDeviceRequests()).isNullOrEmpty();
        assertThat(p.hostConfig().getDevices()).isNullOrEmpty();
    }

    @Test
    void aGpuFlavorAsksTheEngineForThatManyNvidiaGpus() {
        ContainerPlan p = plan(withAccelerators(new Flavor.Gpu(2, "32GB", "V100"), null));
        List<DeviceRequest> requests = p.hostConfig().getDeviceRequests();
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).getDriver()).isEqualTo("nvidia");
        assertThat(requests.get(0).getCount()).isEqualTo(2);
        assertThat(requests.get(0).getCapabilities()).containsExactly(List.of("gpu"));
        assertThat(p.hostConfig().getPidsLimit()).isEqualTo(500L);
    }

    @Test
    void anAscendFlavorGetsItsNpuDevicesAndTheDriversManagementDevices() {
        ContainerPlan p = plan(withAccelerators(null, new Flavor.Ascend(2, "32GB", "Ascend910", "", "", "")));
        assertThat(p.hostConfig().getDevices()).extracting(Device::getPathOnHost).containsExactly(
                "/dev/davinci0", "/dev/davinci1", "/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc");
        assertThat(p.hostConfig().getDeviceRequests()).isNullOrEmpty();
    }

    @Test
    void theTokenIsReadFromAMountedFileAndIsOnNoCommandLine() {
        ContainerPlan p = plan(Flavor.cpu("c", "c", "", Feature.NOTEBOOK, false, 2, 4096, 50));
        assertThat(p.command()).contains("--config=" + ContainerPlan.SECRET_CONFIG)
                .noneMatch(a -> a.toLowerCase(java.util.Locale.ROOT).contains("token"));
        assertThat(p.env()).noneMatch(e -> e.toLowerCase(java.util.Locale.ROOT).contains("token"));
        assertThat(p.hostConfig().getMounts()).filteredOn(m -> m.getTarget().equals(ContainerPlan.SECRET_CONFIG))
                .singleElement().extracting(Mount::getReadOnly).isEqualTo(true);
    }

    @Test
    void onlyTheNotebookPortIsPublishedAndOnlyOnTheLoopback() {
        ContainerPlan p = plan(Flavor.cpu("c", "c", "", Feature.NOTEBOOK, false, 2, 4096, 50));
        var bindings = p.hostConfig().getPortBindings().getBindings();
        assertThat(bindings).hasSize(1);
        assertThat(bindings.values().iterator().next()).singleElement().satisfies(b -> {
            assertThat(b.getHostIp()).isEqualTo("127.0.0.1");
            assertThat(b.getHostPortSpec()).isEqualTo("23456");
        });
        assertThat(p.hostConfig().getCapDrop()).extracting(Object::toString).containsExactly("ALL");
        assertThat(p.hostConfig().getSecurityOpts()).containsExactly("no-new-privileges");
        assertThat(p.labels()).containsEntry("dev.atelier.installation", "abcdef012345")
                .containsEntry("dev.atelier.request-id", REQUEST);
    }
}
