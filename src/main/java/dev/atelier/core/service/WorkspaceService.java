package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Workspace;
import dev.atelier.core.model.WorkspaceId;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.WorkspaceStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Workspaces (reference §2.23): every project has its default workspace {@code "0"}; its administrators add others
 * and set quotas on any of them. The one quota there is, {@link #NOTEBOOKS}, limits the instances a workspace holds:
 * a create beyond it is refused with {@code WORKSPACE_QUOTA_EXCEEDED}.
 */
public final class WorkspaceService {
    /** The quota's resource: instances of the workspace, not counting those being deleted. */
    public static final String NOTEBOOKS = "notebook.instances";
    public static final long MAX_QUOTA = 100_000;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Set<String> AUTH_TYPES = Set.of("PUBLIC", "PRIVATE", "INTERNAL");

    private final WorkspaceStore store;
    private final InstanceStore instances;
    private final Clock clock;

    public WorkspaceService(WorkspaceStore store, InstanceStore instances, Clock clock) {
        this.store = store;
        this.instances = instances;
        this.clock = clock;
    }

    /** The project's default workspace as lists show it: it is never stored. */
    private static Workspace defaultOf(String projectId) {
        return new Workspace(WorkspaceId.DEFAULT, projectId, "default", "the project's default workspace", null,
                "PUBLIC", 0, 0);
    }

    /** A quota as shown: its limit ({@code -1}: none), what is used (null where there is no limit), when set. */
    public record QuotaView(String resource, long limit, Long used, long updateTime) {
    }

    /** A sorted, filtered page of the project's workspaces, the default one among them; and how many match. */
    public record Page(List<Workspace> items, int total) {
    }

    public Page list(String projectId, String nameContains, String sortBy, String order, int offset, int limit) {
        Comparator<Workspace> by = switch (sortBy == null ? "name" : sortBy) {
            case "name" -> Comparator.comparing(Workspace::name);
            case "update_time" -> Comparator.comparingLong(Workspace::updateTime);
            case "status" -> Comparator.comparing(w -> "NORMAL");
            default -> throw new AtelierException(ErrorCode.INVALID_PARAMETER,
                    "sort_by must be name, update_time or status");
        };
        String direction = order == null ? "desc" : order.toLowerCase(Locale.ROOT);
        if (!direction.equals("asc") && !direction.equals("desc")) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "order must be asc or desc");
        }
        List<Workspace> all = new ArrayList<>(store.list(projectId));
        all.add(defaultOf(projectId));
        List<Workspace> matching = all.stream()
                .filter(w -> nameContains == null || w.name().toLowerCase(Locale.ROOT)
                        .contains(nameContains.toLowerCase(Locale.ROOT)))
                .sorted(direction.equals("asc") ? by.thenComparing(Workspace::id)
                        : by.thenComparing(Workspace::id).reversed())
                .toList();
        return new Page(matching.stream().skip(offset).limit(limit).toList(), matching.size());
    }

    /** A workspace of the project; the default one included. */
    public Workspace show(String projectId, String workspaceId) {
        String id = WorkspaceId.check(workspaceId, ErrorCode.INVALID_PARAMETER);
        if (id.equals(WorkspaceId.DEFAULT)) {
            return defaultOf(projectId);
        }
        return store.get(projectId, id).orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND, "workspace "
                + id + " does not exist"));
    }

    /** Adds a workspace to the project (its administrators only). */
    public Workspace create(Caller caller, String projectId, String name, String description, String authType) {
        caller.requireProjectAdministrator(projectId, "create workspaces");
        if (name == null || !NAME.matcher(name).matches() || name.equalsIgnoreCase("default")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "name must be 1 to 64 letters, digits, '_' and '-', "
                    + "and not \"default\"");
        }
        String auth = authType == null ? "PUBLIC" : authType.toUpperCase(Locale.ROOT);
        if (!AUTH_TYPES.contains(auth)) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "auth_type must be PUBLIC, PRIVATE or INTERNAL");
        }
        if (description != null && description.length() > 256) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description is at most 256 characters");
        }
        long now = clock.millis();
        Workspace w = new Workspace(UUID.randomUUID().toString().replace("-", ""), projectId, name,
                description == null ? "" : description, caller.userId(), auth, now, now);
        if (!store.create(w)) {
            throw new AtelierException(ErrorCode.NAME_TAKEN, "a workspace named " + name + " already exists");
        }
        return w;
    }

    /** The workspace's quotas with what is used of them. */
    public List<QuotaView> quotas(String projectId, String workspaceId) {
        Workspace w = show(projectId, workspaceId);
        WorkspaceStore.Quota q = store.quotas(projectId, w.id()).get(NOTEBOOKS);
        long limit = q == null ? -1 : q.limit();
        return List.of(new QuotaView(NOTEBOOKS, limit, limit < 0 ? null : instances.countInWorkspace(projectId,
                w.id()), q == null ? w.updateTime() : q.updateTime()));
    }

    /** Sets quotas of a workspace (its project's administrators only); {@code -1} lifts one. */
    public List<QuotaView> setQuota(Caller caller, String projectId, String workspaceId, String resource, Long limit) {
        caller.requireProjectAdministrator(projectId, "set workspace quotas");
        Workspace w = show(projectId, workspaceId);
        if (!NOTEBOOKS.equals(resource)) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "resource must be " + NOTEBOOKS);
        }
        if (limit == null || limit < -1 || limit > MAX_QUOTA) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "quota must be -1 (no limit) to " + MAX_QUOTA);
        }
        store.setQuota(projectId, w.id(), resource, limit, clock.millis());
        return quotas(projectId, w.id());
    }

    /**
     * The limit on instances of the workspace a create must respect ({@code -1}: none); refuses a workspace the
     * project does not have.
     */
    public long notebookLimit(String projectId, String workspaceId) {
        String id = WorkspaceId.check(workspaceId, ErrorCode.INVALID_VALUE);
        if (!id.equals(WorkspaceId.DEFAULT) && store.get(projectId, id).isEmpty()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "workspace " + id + " does not exist");
        }
        WorkspaceStore.Quota q = store.quotas(projectId, id).get(NOTEBOOKS);
        return q == null ? -1 : q.limit();
    }
}
