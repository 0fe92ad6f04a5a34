package dev.atelier.api.http;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Pool;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.WorkspaceId;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import dev.atelier.core.service.Catalog;
import dev.atelier.core.service.CreateInstance;
import dev.atelier.core.service.ImageService;
import dev.atelier.core.service.InstanceService;
import dev.atelier.core.service.UpdateInstance;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The legacy DevEnviron API (reference §4, seed 004) as a second view of the same instances: an instance
 * created here is {@code DE-<uuid>}, the same instance is {@code <uuid>} in v1, and both APIs accept both forms.
 */
public final class LegacyRoutes implements RouteModule {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern BUCKET_ROOT = Pattern.compile("/?[^/]+/?");
    private static final long MIN_AUTO_STOP_S = 3600;
    private static final long MAX_AUTO_STOP_S = 86400;
    /** Profiles of the documented CPU Python 3 engines, all served by the built-in Jupyter image. */
    private static final Set<String> PYTHON3_PROFILES = Set.of("Multi-Engine 1.0 (python3)-cpu",
            "Multi-Engine 2.0 (python3)", "Python3");

    private final InstanceService instances;
    private final ImageService images;
    private final Catalog catalog;
    private final IdentityService identities;
    private final Clock clock;
    private final dev.atelier.core.service.Pools pools;
    private final com.fasterxml.jackson.databind.ObjectMapper mapper = Json.mapper();

    private final java.util.function.Function<Instance, String> publicUrl;

    public LegacyRoutes(InstanceService instances, ImageService images, Catalog catalog, IdentityService identities,
                        Clock clock, java.util.function.Function<Instance, String> publicUrl,
                        dev.atelier.core.service.Pools pools) {
        this.publicUrl = publicUrl;
        this.pools = pools;
        this.instances = instances;
        this.images = images;
        this.catalog = catalog;
        this.identities = identities;
        this.clock = clock;
    }

    /** Instance routes: the caller must own the instance or administer its project. */
    private io.javalin.http.Handler own(io.javalin.http.Handler h) {
        return Requests.ownInstance(instances, h);
    }

    @Override
    public void register(RoutesConfig routes) {
        String base = "/v1/{project_id}/demanager/instances";
        routes.post(base, this::create);
        routes.get(base, this::list);
        routes.get(base + "/{id}", own(ctx -> ctx.json(view(show(ctx)))));
        routes.put(base + "/{id}", own(this::modify));
        routes.delete(base + "/{id}", own(this::delete));
        routes.post(base + "/{id}/action", own(this::action));
        routes.get(base + "/{id}/token", own(ctx -> ctx.json(Map.of("token", show(ctx).token()))));
    }

    private Instance show(Context ctx) {
        Instance read = ctx.attribute(HttpApi.AUTHORIZED); // read once, when the caller was checked
        return read != null ? read : current(ctx);
    }

    /** The instance as stored now, for a change that depends on its status (not what memory shows). */
    private Instance current(Context ctx) {
        return instances.show(ctx.pathParam("project_id"), Requests.instanceId(ctx));
    }

    private void create(Context ctx) {
        Caller caller = Requests.caller(ctx);
        String projectId = ctx.pathParam("project_id");
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        String name = body.string("name");
        if (name == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "name is required");
        }
        if (!NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "name must be 1 to 64 characters of letters, digits, '-' and '_'");
        }
        String profileId = body.string("profile_id");
        if (profileId == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "profile_id is required");
        }
        String flavor = body.string("flavor");
        RequestBody spec = body.object("spec");
        if (spec == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "spec is required");
        }
        RequestBody storage = spec.object("storage");
        if (storage == null) {
            throw new AtelierException(ErrorCode.STORAGE_MISSING, "spec.storage is required");
        }
        Integer volumeSize = storageSize(storage);
        Long autoStopMs = autoStop(spec.object("auto_stop"));
        RequestBody workspace = body.object("workspace");
        RequestBody pool = body.object("pool");
        String imageId = profile(projectId, profileId);
        String feature = flavor == null ? null : catalog.flavor(flavor).map(f -> f.feature().name()).orElse(null);
        Instance created = instances.create(caller, projectId, new CreateInstance(name, body.string("description"),
                feature, flavor, imageId, workspace == null ? null : workspace.string("id"), true, "EVS", "MANAGED",
                volumeSize, autoStopMs == null ? -1L : autoStopMs, "timing",
                pool == null ? null : pool.string("id"), null, true)); // names are unique in the legacy API
        ctx.json(view(created));
    }

    private void list(Context ctx) {
        Caller caller = Requests.caller(ctx);
        String deType = ctx.queryParam("de_type");
        if (deType == null) {
            throw legacyParameter("de_type is required (Notebook)");
        }
        if (!deType.equals("Notebook")) {
            throw legacyParameter("de_type must be Notebook");
        }
        String provision = Requests.query(ctx, "provision_type");
        if (provision != null && !provision.equals("Docker")) {
            throw legacyParameter("provision_type must be Docker");
        }
        String asked = Requests.query(ctx, "status");
        String status = asked == null ? null : asked.toUpperCase(java.util.Locale.ROOT); // enums in any case
        List<InstanceStatus> statuses = null;
        // an instance waiting in its pool's queue shows as *_QUEUING, one that does not as CREATING or STARTING
        Boolean waiting = status == null ? null : switch (status) {
            case "CREATE_QUEUING", "START_QUEUING" -> true;
            case "CREATING", "STARTING" -> false;
            default -> null;
        };
        if (status != null) {
            statuses = LegacyViews.v1Statuses(switch (status) {
                case "CREATE_QUEUING" -> "CREATING";
                case "START_QUEUING" -> "STARTING";
                default -> status;
            });
            if (statuses == null) {
                throw legacyParameter("status must be one of " + new java.util.TreeSet<>(
                        LegacyViews.LEGACY_STATUSES));
            }
        }
        String sortBy = Requests.query(ctx, "sortby");
        String field = sortBy == null || sortBy.equals("name") ? "name"
                : sortBy.equals("creation_timestamp") ? "create_at" : null;
        if (field == null) {
            throw legacyParameter("sortby must be name or creation_timestamp");
        }
        String order = Requests.query(ctx, "order");
        if (order != null && !order.equals("asc") && !order.equals("desc")) {
            throw legacyParameter("order must be asc or desc");
        }
        boolean ascending = order == null || order.equals("asc");
        int offset = nonNegative(ctx, "offset");
        int limit = nonNegative(ctx, "limit");
        String showSelf = Requests.query(ctx, "show_self");
        if (showSelf != null && !showSelf.equalsIgnoreCase("true") && !showSelf.equalsIgnoreCase("false")) {
            throw legacyParameter("show_self must be true or false");
        }
        // show_self=false shows the whole project to its administrators; members only ever see their own
        InstanceService.Scope scope = showSelf == null || showSelf.equalsIgnoreCase("true")
                ? InstanceService.Scope.OWN : InstanceService.Scope.PROJECT;
        String workspace = Requests.query(ctx, "workspace_id");
        String aiProject = Requests.query(ctx, "ai_project");
        if (aiProject != null && !aiProject.equals("default-ai-project")) {
            statuses = List.of(); // every instance is in the default AI project
        }
        InstanceStore.InstancePage page = instances.list(caller, ctx.pathParam("project_id"), scope,
                InstanceQuery.in(ctx.pathParam("project_id")).statuses(statuses)
                        .workspace(workspace == null ? WorkspaceId.DEFAULT : workspace)
                        .pool(Requests.query(ctx, "pool_id")).waiting(waiting)
                        .sort(List.of(new InstanceStore.Sort(field, ascending)))
                        .page(offset, limit == 0 ? Integer.MAX_VALUE : limit));
        ctx.json(new LegacyViews.ListResult(page.total(), page.items().stream().map(this::view).toList()));
    }

    private void modify(Context ctx) {
        String projectId = ctx.pathParam("project_id");
        Instance current = current(ctx);
        RequestBody body = RequestBody.parse(mapper, ctx.bodyAsBytes());
        String description = body.string("description");
        RequestBody spec = body.object("spec");
        RequestBody autoStop = spec == null ? null : spec.object("auto_stop");
        Long autoStopMs = autoStop(autoStop);
        // one change, checked and written together
        Instance updated = instances.update(Requests.caller(ctx), projectId, current.id(), UpdateInstance.of()
                .description(description)
                .autoStop(autoStop == null ? null : autoStopMs == null ? -1L : autoStopMs).build());
        ctx.json(view(updated));
    }

    private void delete(Context ctx) {
        // stop before delete (§4)
        instances.deleteStopped(Requests.caller(ctx), ctx.pathParam("project_id"), Requests.instanceId(ctx));
        ctx.json(Map.of("instance_id", ctx.pathParam("id")));
    }

    private void action(Context ctx) {
        Instance current = current(ctx);
        String asked = RequestBody.parse(mapper, ctx.bodyAsBytes()).string("action");
        if (asked == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "action is required");
        }
        String action = asked.toLowerCase(java.util.Locale.ROOT); // enums in any case
        String projectId = ctx.pathParam("project_id");
        Instance after = switch (action) {
            case "start" -> {
                var lease = current.lease();
                yield instances.start(Requests.caller(ctx), projectId, current.id(),
                        lease.enabled() ? lease.requestedMs() : -1L, "timing");
            }
            case "stop" -> instances.stop(Requests.caller(ctx), projectId, current.id());
            case "restart", "queue", "dequeue" -> throw new AtelierException(ErrorCode.INVALID_PARAMETER, "action "
                    + action + " is not supported by this server (free instances start without queuing; restart is "
                    + "stop, then start)");
            default -> throw legacyParameter("action must be start, stop, restart, queue or dequeue");
        };
        ctx.json(new LegacyViews.ActionResult(LegacyViews.status(after.status()), LegacyViews.status(current.status())));
    }

    private LegacyViews.LegacyInstance view(Instance i) {
        Image image = images.find(i.imageId()).orElse(null);
        var flavor = catalog.flavor(i.flavorId()).map(f -> pools.asSoldIn(i.poolId(), f)).orElse(null);
        var pool = i.poolId() == null ? null : pools.find(i.poolId()).orElse(null);
        return LegacyViews.instance(i.withRuntime(i.runtimeState(), publicUrl.apply(i)), image, flavor,
                identities.userName(i.ownerId()).orElse(i.ownerId()), clock.millis(), // a removed user: its id
                pool, pools.place(i).orElse(null), flavor == null ? null
                        : pools.queueOf(i.poolId() == null ? Pool.DEFAULT_ID : i.poolId(), flavor));
    }

    /** The image a profile names: an image id, or one of the documented CPU Python 3 profiles. */
    private String profile(String projectId, String profileId) {
        if (PYTHON3_PROFILES.contains(profileId)) {
            return dev.atelier.core.service.Catalog.DEBIAN_JUPYTER_IMAGE_ID;
        }
        return images.find(profileId).filter(m -> m.visibleTo(projectId)).map(Image::id).orElseThrow(() ->
                new AtelierException(ErrorCode.IMAGE_NOT_FOUND, "profile_id " + profileId + " is not available on "
                        + "this server; use an image id from GET /v1/" + projectId + "/images or one of "
                        + new java.util.TreeSet<>(PYTHON3_PROFILES)));
    }

    /** Checks {@code spec.storage}; returns the EVS size in GB (null: default). */
    private static Integer storageSize(RequestBody storage) {
        String type = storage.string("type");
        if (type == null) {
            throw new AtelierException(ErrorCode.STORAGE_MISSING, "spec.storage.type is required");
        }
        RequestBody location = storage.object("location");
        switch (type) {
            case "evs" -> {
                return location == null ? null : location.integer("volume_size");
            }
            case "obs", "obsfs" -> {
                String path = location == null ? null : location.string("path");
                if (path == null) {
                    throw new AtelierException(ErrorCode.OBS_PATH_MISSING,
                            "spec.storage.location.path is required for " + type + " storage");
                }
                if (type.equals("obs") && !path.endsWith("/")) {
                    throw new AtelierException(ErrorCode.PATH_NOT_DIRECTORY,
                            "spec.storage.location.path must end with '/'");
                }
                if (type.equals("obs") && BUCKET_ROOT.matcher(path).matches()) {
                    throw new AtelierException(ErrorCode.PATH_IS_BUCKET,
                            "spec.storage.location.path must be a directory in a bucket, not the bucket itself");
                }
                throw new AtelierException(ErrorCode.STORAGE_UNSUPPORTED, "storage type " + type
                        + " is not available as a work volume on this server; use evs (and attach OBS paths "
                        + "through the v1 storage API)");
            }
            default -> throw new AtelierException(ErrorCode.STORAGE_UNSUPPORTED,
                    "spec.storage.type must be obs, obsfs or evs");
        }
    }

    /** Checks an {@code auto_stop} object; returns its duration in ms, or null when auto stop is off. */
    private static Long autoStop(RequestBody autoStop) {
        if (autoStop == null) {
            return null;
        }
        Boolean enable = autoStop.bool("enable");
        Long seconds = autoStop.longValue("duration");
        if (enable == null || !enable) {
            return null;
        }
        if (seconds == null) {
            throw new AtelierException(ErrorCode.AUTO_STOP_WITHOUT_DURATION,
                    "spec.auto_stop.duration is required when auto stop is enabled");
        }
        if (seconds < MIN_AUTO_STOP_S || seconds > MAX_AUTO_STOP_S) {
            throw new AtelierException(ErrorCode.DURATION_OUT_OF_RANGE,
                    "spec.auto_stop.duration must be between 3600 and 86400 seconds");
        }
        return seconds * 1000;
    }

    private static int nonNegative(Context ctx, String name) {
        String raw = Requests.query(ctx, name);
        if (raw == null) {
            return 0;
        }
        try {
            int v = dev.atelier.core.AsciiNumbers.parseInt(raw);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw legacyParameter(name + " must be a non-negative integer");
        }
    }

    private static AtelierException legacyParameter(String message) {
        return new AtelierException(ErrorCode.INVALID_PARAMETER, message);
    }
}
