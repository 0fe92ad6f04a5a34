package dev.atelier.core.model;

import java.util.List;

/** A compute size. Memory in MiB. */
public record Flavor(String id, String name, String category, String arch, String description, String feature,
                     boolean free, int vcpus, long memoryMib, List<String> storages, int evsMaxSizeGb) {
}
