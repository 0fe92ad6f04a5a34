package dev.atelier.server;

import dev.atelier.core.model.Feature;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.atelier.core.model.Flavor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;

/**
 * The operator's flavor catalogue: {@code <data-dir>/flavors.json}, a JSON array that replaces the built-in
 * flavors when present. GPU and Ascend flavors are offered as sold out where the runtime has no such devices.
 */
final class FlavorFile {
    static final String FILE = "flavors.json";
    private static final Set<String> CATEGORIES = Set.of("CPU", "GPU", "ASCEND");

    record Entry(String id, String name, String category, String arch, String description, String feature,
                 Boolean free, Integer vcpus, Long memoryMib, List<String> storages, Integer evsMaxSizeGb,
                 Flavor.Gpu gpu, Flavor.Ascend ascend, Boolean soldOut, Integer maxProcesses,
                 Map<String, Integer> extendedResources) {
    }

    private FlavorFile() {
    }

    static List<Flavor> load(Path dataDir, List<Flavor> builtIn) {
        Path file = dataDir.resolve(FILE);
        return Files.exists(file) ? read(file) : builtIn;
    }

    private static List<Flavor> read(Path file) {
        ObjectMapper json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        Entry[] entries;
        try {
            entries = json.readValue(file.toFile(), Entry[].class);
        } catch (JsonMappingException e) {
            throw new IllegalArgumentException(file + ": " + e.getOriginalMessage() + " at " + e.getPathReference());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
        List<Flavor> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int n = 0; n < entries.length; n++) {
            Entry e = entries[n];
            String where = file + " entry " + n + ": ";
            if (e.id() == null || e.id().isBlank() || !ids.add(e.id())) {
                throw new IllegalArgumentException(where + "needs a unique id");
            }
            String category = e.category() == null ? "CPU" : e.category().toUpperCase(Locale.ROOT);
            if (!CATEGORIES.contains(category)) {
                throw new IllegalArgumentException(where + "category must be CPU, GPU or ASCEND");
            }
            if (category.equals("GPU") && e.gpu() == null || category.equals("ASCEND") && e.ascend() == null) {
                throw new IllegalArgumentException(where + category + " flavors need a "
                        + category.toLowerCase(Locale.ROOT) + " object");
            }
            if (e.vcpus() == null || e.vcpus() < 1 || e.memoryMib() == null || e.memoryMib() < 1) {
                throw new IllegalArgumentException(where + "vcpus and memory_mib must be positive");
            }
            Feature feature = e.feature() == null ? Feature.NOTEBOOK : Feature.parse(e.feature()).orElseThrow(() ->
                    new IllegalArgumentException(where + "feature must be NOTEBOOK or DEFAULT"));
            out.add(new Flavor(e.id(), e.name() == null ? e.id() : e.name(), category,
                    e.arch() == null ? "x86_64" : e.arch().toLowerCase(Locale.ROOT),
                    e.description() == null ? "" : e.description(), feature, Boolean.TRUE.equals(e.free()),
                    e.vcpus(), e.memoryMib(), e.storages() == null ? List.of("EVS") : e.storages(),
                    e.evsMaxSizeGb() == null ? 4096 : e.evsMaxSizeGb(), e.gpu(), e.ascend(),
                    Boolean.TRUE.equals(e.soldOut()),
                    e.maxProcesses() == null ? Flavor.DEFAULT_MAX_PROCESSES : e.maxProcesses(),
                    extendedResources(where, e.extendedResources())));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(file + " lists no flavor");
        }
        return out;
    }

    /** Extended resources by a cluster's names ({@code vendor.domain/name}), each a positive count. */
    private static Map<String, Integer> extendedResources(String where, Map<String, Integer> resources) {
        if (resources == null) {
            return Map.of();
        }
        resources.forEach((name, count) -> {
            if (name == null || !name.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
                    || name.length() > 253) {
                throw new IllegalArgumentException(where + "extended_resources names are like nvidia.com/gpu, not "
                        + name);
            }
            if (count == null || count < 1) {
                throw new IllegalArgumentException(where + "extended_resources counts must be positive");
            }
        });
        return resources;
    }
}
