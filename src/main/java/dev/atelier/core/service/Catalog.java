package dev.atelier.core.service;

import dev.atelier.core.model.Feature;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.ImageStatus;
import java.util.List;
import java.util.Optional;

/** The flavors instances can be created with, and the built-in images. */
public final class Catalog {

    /** The built-in image: Debian's Jupyter packages ({@code jupyter-server} with the classic notebook UI). */
    public static final String DEBIAN_JUPYTER_IMAGE_ID = "5e2b4d57-1c1a-4f6e-9d0a-7f1c6a0e3b21";

    private final List<Flavor> flavors;

    public Catalog(List<Flavor> flavors) {
        this.flavors = List.copyOf(flavors);
    }

    /** The flavors a server offers when the operator configured none. */
    public static List<Flavor> builtInFlavors() {
        return List.of(
                Flavor.cpu("modelarts.vm.cpu.2u", "CPU: 2 vCPUs 8 GB", "General computing, 2 vCPUs, 8 GB memory",
                        Feature.NOTEBOOK, false, 2, 8192, 4096),
                Flavor.cpu("modelarts.vm.cpu.8u", "CPU: 8 vCPUs 32 GB", "General computing, 8 vCPUs, 32 GB memory",
                        Feature.NOTEBOOK, false, 8, 32768, 4096),
                Flavor.cpu("modelarts.vm.cpu.free", "CPU: 1 vCPU 4 GB (free)",
                        "Free CodeLab flavor, 1 vCPU, 4 GB memory; one instance per user", Feature.DEFAULT, true, 1, 4096, 5));
    }

    /** The built-in images: one, Debian's Jupyter packages. */
    public static List<Image> builtInImages(String runnable) {
        List<Image> images = List.of(new Image(DEBIAN_JUPYTER_IMAGE_ID, null, "0", "debian-jupyter", "atelier", "12",
                "atelier/debian-jupyter:12",
                "Debian 12 with jupyter-server 1.23, ipykernel and the classic notebook UI", "x86_64", Image.BUILD_IN,
                "PUBLIC", "CUSTOMIZE", List.of("NOTEBOOK"), List.of("CPU"), "DEV", ImageStatus.ACTIVE, null, 0,
                runnable, null, null, 1_700_000_000_000L, 1_700_000_000_000L));
        return images;
    }

    public List<Flavor> flavors() {
        return flavors;
    }

    public Optional<Flavor> flavor(String id) {
        return flavors.stream().filter(f -> f.id().equals(id)).findFirst();
    }

}
