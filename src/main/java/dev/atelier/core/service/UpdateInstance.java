package dev.atelier.core.service;

/** A partial update (reference §2.5): null means "leave as it is". */
public record UpdateInstance(String name, String description, String flavorId, String imageId,
                             Integer storageNewSizeGb, boolean endpointsGiven) {
}
