package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.InstanceStore.InstancePage;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The use cases on instances. The API only records what the user wants and returns; the {@link Reconciler}
 * makes it so.
 */
public final class InstanceService {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final Pattern WORKSPACE = Pattern.compile("0|[0-9a-z]{32}");
    private static final Pattern FORBIDDEN_IN_DESCRIPTION = Pattern.compile("[&<>\"'/]");
    private static final int MIN_EVS_GB = 5;
    private static final int DEFAULT_EVS_GB = 5;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final InstanceStore store;
    private final Catalog catalog;
    private final Clock clock;
    private volatile java.util.function.Consumer<String> onChange = id -> { };

    public InstanceService(InstanceStore store, Catalog catalog, Clock clock) {
        this.store = store;
        this.catalog = catalog;
        this.clock = clock;
    }

    /** Called with an instance id whenever the desired state of that instance changed. */
    public void onChange(java.util.function.Consumer<String> listener) {
        this.onChange = listener;
    }

    public Instance create(Caller caller, String projectId, CreateInstance req) {
        String name = required(req.name(), "name");
        if (!NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "name must be 1 to 128 characters of letters, digits, '-' and '_'");
        }
        String description = req.description() == null ? "" : req.description();
        if (description.length() > 512) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description must be at most 512 characters");
        }
        if (FORBIDDEN_IN_DESCRIPTION.matcher(description).find()) {
            throw new AtelierException(ErrorCode.ILLEGAL_CHARACTER,
                    "description must not contain any of & < > \" ' /");
        }
        String feature = upper(req.feature(), "NOTEBOOK");
        if (!feature.equals("NOTEBOOK") && !feature.equals("DEFAULT")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "feature must be NOTEBOOK or DEFAULT");
        }
        String flavorId = required(req.flavorId(), "flavor");
        Flavor flavor = catalog.flavor(flavorId).orElseThrow(() -> new AtelierException(
                ErrorCode.FLAVOR_NOT_SUPPORTED, "flavor " + flavorId + " is not supported: see GET /v1/"
                + projectId + "/notebooks/flavors"));
        if (!flavor.feature().equals(feature)) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "flavor " + flavorId + " is for feature " + flavor.feature() + ", not " + feature);
        }
        String imageId = required(req.imageId(), "image_id");
        catalog.image(imageId).orElseThrow(() -> new AtelierException(ErrorCode.IMAGE_NOT_FOUND,
                "image_id " + imageId + " does not name an image: see GET /v1/" + projectId + "/images"));
        String workspaceId = req.workspaceId() == null ? "0" : req.workspaceId();
        if (!WORKSPACE.matcher(workspaceId).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "workspace_id must be \"0\" or 32 characters of lower-case letters and digits");
        }
        if (!workspaceId.equals("0")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "workspace " + workspaceId + " does not exist");
        }
        if (req.poolId() != null) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "pool_id: pool " + req.poolId() + " does not exist");
        }
        if (req.sshEndpoint()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "endpoints: SSH access is not available on this server yet; omit the SSH endpoint");
        }
        Volume volume = volume(req, flavor);
        Lease lease = lease(req, clock.millis());

        long now = clock.millis();
        Instance instance = new Instance(UUID.randomUUID().toString(), projectId, caller.userId(), workspaceId,
                name, description, feature, flavor.id(), imageId, volume, lease,
                DesiredState.RUNNING, InstanceStatus.CREATING, Progress.waiting(), null, newToken(), null, Map.of(),
                now, now, 1);
        store.insert(instance);
        onChange.accept(instance.id());
        return instance;
    }

    public Instance show(String projectId, String id) {
        return store.get(id).filter(i -> i.projectId().equals(projectId))
                .orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND, "instance " + id + " does not exist"));
    }

    public InstancePage list(String projectId, String nameContains, InstanceStatus status, int offset, int limit) {
        return store.list(new InstanceQuery(projectId, null, nameContains, status == null ? null : status.name(),
                offset, limit));
    }

    /** Records that the instance is to be deleted; returns it with status DELETING. */
    public Instance delete(String projectId, String id) {
        while (true) {
            Instance current = show(projectId, id);
            if (current.desired() == DesiredState.DELETED) {
                throw new AtelierException(ErrorCode.ILLEGAL_STATE, "instance " + id + " is already being deleted");
            }
            var written = store.update(current.withDesired(DesiredState.DELETED, InstanceStatus.DELETING), clock.millis());
            if (written.isPresent()) {
                onChange.accept(id);
                return written.get();
            }
        }
    }

    private Volume volume(CreateInstance req, Flavor flavor) {
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
        int capacity = req.capacityGb() == null ? DEFAULT_EVS_GB : req.capacityGb();
        if (capacity < MIN_EVS_GB || capacity > flavor.evsMaxSizeGb()) {
            throw new AtelierException(ErrorCode.EVS_SIZE_OUT_OF_RANGE, "volume.capacity must be between "
                    + MIN_EVS_GB + " and " + flavor.evsMaxSizeGb() + " GB");
        }
        return new Volume(category, ownership, capacity);
    }

    private static Lease lease(CreateInstance req, long now) {
        Long duration = req.durationMs();
        String type = upper(req.leaseType(), Lease.TIMING);
        if (!type.equals(Lease.TIMING) && !type.equals(Lease.IDLE)) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "lease.type must be timing or idle");
        }
        if (duration != null && duration != -1L && (duration < Lease.MIN_MS || duration > Lease.MAX_MS)) {
            throw new AtelierException(ErrorCode.DURATION_OUT_OF_RANGE,
                    "duration must be -1 (no auto stop) or between 3600000 and 259200000 ms");
        }
        return Lease.requested(now, duration, type);
    }

    private static String required(String value, String field) {
        if (value == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, field + " is required");
        }
        return value;
    }

    private static String upper(String value, String defaultValue) {
        return value == null ? defaultValue : value.toUpperCase(Locale.ROOT);
    }

    static String newToken() {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
