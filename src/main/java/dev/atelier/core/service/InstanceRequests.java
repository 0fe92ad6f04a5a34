package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Volume;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a create, an update, a start or a tag asks for, checked before anything is written: names, descriptions
 * and tags against the API's rules, the flavor and image against the catalog, the volume against the flavor, the
 * lease against its bounds. Each refusal is the API's error for it.
 */
final class InstanceRequests {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern FORBIDDEN_IN_DESCRIPTION = Pattern.compile("[&<>\"'/]");
    private static final int MIN_EVS_GB = 5;
    private static final Pattern TAG_KEY = Pattern.compile("[\\p{L}\\p{N}_.:=+\\-@]([\\p{L}\\p{N} _.:=+\\-@]{0,126}"
            + "[\\p{L}\\p{N}_.:=+\\-@])?");
    private static final Pattern TAG_VALUE = Pattern.compile("[\\p{L}\\p{N} _.:=+\\-@/]{0,255}");

    private final Catalog catalog;
    private final ImageService images;

    InstanceRequests(Catalog catalog, ImageService images) {
        this.catalog = catalog;
        this.images = images;
    }

    Flavor flavor(String projectId, String flavorId) {
        Flavor f = catalog.flavor(flavorId).orElseThrow(() -> new AtelierException(ErrorCode.FLAVOR_NOT_SUPPORTED,
                "flavor " + flavorId + " is not supported: see GET /v1/" + projectId + "/notebooks/flavors"));
        if (f.soldOut()) {
            throw new AtelierException(ErrorCode.FLAVOR_SOLD_OUT, "flavor " + flavorId + " is sold out: this server "
                    + "has no free " + f.category() + " resources for it");
        }
        return f;
    }

    Image image(String projectId, String imageId) {
        var image = images.find(imageId).filter(i -> i.visibleTo(projectId)).orElseThrow(() -> new AtelierException(
                ErrorCode.IMAGE_NOT_FOUND, "image_id " + imageId + " does not name an image: see GET /v1/"
                + projectId + "/images"));
        if (image.status() != dev.atelier.core.model.ImageStatus.ACTIVE) {
            throw new AtelierException(ErrorCode.IMAGE_NOT_FOUND, "image " + imageId + " is " + image.status()
                    + (image.statusMessage() == null ? "" : ": " + image.statusMessage()) + "; only ACTIVE images "
                    + "can be used");
        }
        return image;
    }

    static Volume volume(CreateInstance req, Flavor flavor) {
        if (!req.volumeGiven()) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "volume is required");
        }
        String category = upper(required(req.volumeCategory(), "volume.category"), null);
        if (!category.equals("EVS")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "volume.category " + category
                    + " is not supported by this server; use EVS");
        }
        String ownership = upper(required(req.volumeOwnership(), "volume.ownership"), null);
        if (!ownership.equals("MANAGED")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "volume.ownership must be MANAGED for EVS volumes");
        }
        int capacity = req.capacityGb() == null ? InstanceService.DEFAULT_EVS_GB : req.capacityGb();
        if (capacity < MIN_EVS_GB || capacity > flavor.evsMaxSizeGb()) {
            throw new AtelierException(ErrorCode.EVS_SIZE_OUT_OF_RANGE, "volume.capacity must be between "
                    + MIN_EVS_GB + " and " + flavor.evsMaxSizeGb() + " GB");
        }
        return new Volume(category, ownership, capacity);
    }

    /** A lease as the user asked for it (validated); its countdown starts when the instance runs. */
    static Lease lease(Long duration, String leaseType, long now) {
        LeaseType type = leaseType == null ? LeaseType.TIMING : LeaseType.parse(leaseType).orElseThrow(() ->
                new AtelierException(ErrorCode.INVALID_VALUE, "lease.type must be timing or idle"));
        if (duration != null && duration != -1L && (duration < Lease.MIN_MS || duration > Lease.MAX_MS)) {
            throw new AtelierException(ErrorCode.DURATION_OUT_OF_RANGE,
                    "duration must be -1 (no auto stop) or between 3600000 and 259200000 ms");
        }
        return Lease.requested(now, duration, type);
    }

    static String name(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "name must be 1 to 128 characters of letters, digits, '-' and '_'");
        }
        return name;
    }

    static String description(String description) {
        if (description.codePointCount(0, description.length()) > 512) { // characters, not UTF-16 units
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description must be at most 512 characters");
        }
        if (description.codePoints().anyMatch(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
            // half of a pair (JSON's "\ud800" alone) is no character: it would be stored as '?'
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description is not valid Unicode text (an unpaired "
                    + "surrogate)");
        }
        if (FORBIDDEN_IN_DESCRIPTION.matcher(description).find()) {
            throw new AtelierException(ErrorCode.ILLEGAL_CHARACTER,
                    "description must not contain any of & < > \" ' /");
        }
        return description;
    }

    static String required(String value, String field) {
        if (value == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, field + " is required");
        }
        return value;
    }

    static String upper(String value, String defaultValue) {
        return value == null ? defaultValue : value.toUpperCase(Locale.ROOT);
    }

    static void tag(String key, String value) {
        if (key == null || !TAG_KEY.matcher(key).matches() || key.startsWith("_sys_")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "tag key '" + key + "' must be 1 to 128 letters, "
                    + "digits, spaces and _ . : = + - @, not start or end with a space, and not start with _sys_");
        }
        if (value == null || !TAG_VALUE.matcher(value).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "tag value of '" + key + "' must be at most 255 "
                    + "letters, digits, spaces and _ . : = + - @ /");
        }
    }
}
