package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.ImageStatus;
import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.ImageStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Images: the built-in ones, and those users register or save (reference §2.13, §2.15–2.20). */
public final class ImageService {
    /** A registry as the first part of an image reference: a host with a dot or a port, or localhost. */
    private static final java.util.regex.Pattern REGISTRY = java.util.regex.Pattern.compile(
            "(localhost|[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+)(:[0-9]{1,5})?|[A-Za-z0-9-]+:[0-9]{1,5}");

    private static final Pattern IMAGE_NAME = Pattern.compile("[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?");
    private static final Pattern NAMESPACE = Pattern.compile("[a-z][A-Za-z0-9._-]{0,63}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Set<String> ARCHES = Set.of("X86_64", "AARCH64");
    private static final Set<String> CATEGORIES = Set.of("CPU", "GPU", "ASCEND");
    private static final Set<String> SERVICE_TYPES = Set.of("COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN");
    private static final Set<String> SERVICES = Set.of("NOTEBOOK", "SSH", "AI_FLOW", "MA_STUDIO", "TENSOR_BOARD",
            "WEB_IDE");
    private static final Set<String> VISIBILITIES = Set.of("PRIVATE", "PUBLIC");

    private final List<Image> builtIn;
    /** Looked up on every show of an instance. */
    private final Map<String, Image> builtInById;
    private final ImageStore store;
    private final ImageBuilder builder;
    private final Clock clock;
    /** How many instances use an image; deleting one that instances use is refused. */
    private volatile java.util.function.ToLongFunction<String> users = id -> 0;

    public ImageService(List<Image> builtIn, ImageStore store, ImageBuilder builder, Clock clock) {
        this.builtIn = List.copyOf(builtIn);
        this.builtInById = new java.util.HashMap<>();
        builtIn.forEach(i -> builtInById.putIfAbsent(i.id(), i)); // the first of an id, as a search would find
        this.store = store;
        this.builder = builder;
        this.clock = clock;
    }

    /** Any image by id, whoever owns it: for the lifecycle, which has already checked access. */
    public Optional<Image> find(String id) {
        Image image = builtInById.get(id);
        return image != null ? Optional.of(image) : store.get(id);
    }

    public Image show(String projectId, String id) {
        return find(id).filter(i -> i.visibleTo(projectId)).orElseThrow(() -> new AtelierException(
                ErrorCode.NOT_FOUND, "image " + id + " does not exist"));
    }

    /** Every image the project can see, newest first, built-in ones last. */
    public List<Image> visible(String projectId) {
        List<Image> all = new ArrayList<>(store.visibleTo(projectId));
        all.addAll(builtIn);
        return all;
    }

    /** The images of a list query (§2.15); null filters do not filter. */
    public List<Image> list(String projectId, String name, boolean fuzzy, String namespace, String serviceType,
                            String type, String workspaceId) {
        String t = upper(type);
        if (t != null && !t.equals(Image.BUILD_IN) && !t.equals(Image.DEDICATED)) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "type must be BUILD_IN or DEDICATED");
        }
        String st = upper(serviceType);
        if (st != null && !SERVICE_TYPES.contains(st)) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, "service_type must be one of " + SERVICE_TYPES);
        }
        String ws = workspaceId == null ? "0" : workspaceId;
        return visible(projectId).stream()
                .filter(i -> name == null || (fuzzy ? i.name().contains(name) : i.name().equals(name)))
                .filter(i -> namespace == null || i.namespace().equals(namespace))
                .filter(i -> st == null || i.serviceType().equals(st))
                .filter(i -> t == null || i.type().equals(t))
                .filter(i -> i.builtIn() || i.workspaceId().equals(ws))
                .toList();
    }

    public Image register(String projectId, RegisterImage req) {
        String swrPath = req.swrPath();
        if (swrPath == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "swr_path is required");
        }
        if (swrPath.length() < 16 || swrPath.length() > 2048) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "swr_path must be 16 to 2048 characters");
        }
        int slash = swrPath.lastIndexOf('/');
        int colon = swrPath.lastIndexOf(':');
        String tag = colon > slash ? swrPath.substring(colon + 1) : "latest";
        String path = colon > slash ? swrPath.substring(0, colon) : swrPath;
        String[] parts = path.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts.length == 3 && !REGISTRY.matcher(parts[0]).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE,
                    "swr_path must look like [registry/]namespace/name:tag, the registry a host name with a dot or "
                            + "a port (or localhost)");
        }
        String name = parts[parts.length - 1];
        String namespace = parts[parts.length - 2];
        checkNames(name, namespace, tag, "swr_path");
        String arch = oneOf(req.arch(), "X86_64", ARCHES, "arch").toLowerCase(Locale.ROOT);
        String origin = oneOf(req.origin(), "CUSTOMIZE", Set.of("CUSTOMIZE", "IMAGE_SAVE"), "origin");
        String serviceType = oneOf(req.serviceType(), "UNKNOWN", SERVICE_TYPES, "service_type");
        String visibility = oneOf(req.visibility(), "PRIVATE", VISIBILITIES, "visibility");
        List<String> categories = allOf(req.resourceCategories(), List.of("CPU", "GPU"), CATEGORIES,
                "resource_category");
        List<String> services = allOf(req.services(), List.of("NOTEBOOK", "SSH"), SERVICES, "services");
        String description = description(req.description());
        String workspaceId = workspace(req.workspaceId());
        requireUnique(projectId, namespace, name, tag);

        ImageBuilder.Located env = builder.locate(swrPath, namespace, name, tag);
        long now = clock.millis();
        // what the image itself says wins over what the request says
        String realArch = env.arch() != null ? env.arch() : arch;
        long created = env.createdAt() != null ? env.createdAt() : now;
        Image image = new Image(UUID.randomUUID().toString(), projectId, workspaceId, name, namespace, tag, swrPath,
                description, realArch, Image.DEDICATED, visibility, origin, services, categories, serviceType,
                env.runnable() != null ? ImageStatus.ACTIVE : ImageStatus.ERROR, env.problem(), env.sizeKb(),
                env.runnable(), null, null, created, now);
        store.insert(image);
        return image;
    }

    /** Starts saving a running instance as a new image; the reconciler does the work. */
    Image beginSave(String projectId, Image source, String instanceId, String name, String namespace, String tag,
                    String description, String workspaceId) {
        if (name == null) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "name is required");
        }
        if (builder.cannotSave() != null) {
            throw new AtelierException(ErrorCode.NOT_SUPPORTED_BY_RUNTIME, builder.cannotSave());
        }
        String ns = namespace == null ? "atelier" : namespace;
        String t = tag == null ? "latest" : tag;
        checkNames(name, ns, t, null);
        requireUnique(projectId, ns, name, t);
        long now = clock.millis();
        Image image = new Image(UUID.randomUUID().toString(), projectId, workspace(workspaceId), name,
                ns, t, "atelier/" + ns + "/" + name + ":" + t, description(description), source.arch(),
                Image.DEDICATED, "PRIVATE", "IMAGE_SAVE", source.devServices(), source.resourceCategories(),
                source.serviceType(), ImageStatus.INIT, null, 0, source.runnable(), null, instanceId, now, now);
        store.insert(image);
        return image;
    }

    /** Where to learn how many instances use an image (the instance store, wired by the composition root). */
    public void countUsersWith(java.util.function.ToLongFunction<String> count) {
        this.users = count;
    }

    Optional<Image> pendingSave(String instanceId) {
        return store.pendingSave(instanceId);
    }

    /** Does the saving that {@link #beginSave} recorded: INIT → CREATING → ACTIVE or CREATE_FAILED. */
    void completeSave(Image image) {
        store.update(image.withState(ImageStatus.CREATING, null, 0, null, image.runnable(), clock.millis()));
        try {
            ImageBuilder.Saved saved = builder.save(image.sourceInstanceId(), image.id(), image.namespace(),
                    image.name(), image.tag());
            store.update(image.withState(ImageStatus.ACTIVE, null, saved.sizeKb(), saved.skeleton(),
                    saved.runnable() != null ? saved.runnable() : image.runnable(), clock.millis()));
        } catch (RuntimeException e) {
            store.update(image.withState(ImageStatus.CREATE_FAILED, "saving failed: " + e.getMessage(), 0, null,
                    image.runnable(), clock.millis()));
        }
    }

    void abandonSave(Image image, String why) {
        store.update(image.withState(ImageStatus.CREATE_FAILED, why, 0, null, image.runnable(), clock.millis()));
    }

    /** Deletes a user image; returns it with status DELETED. */
    public Image delete(String projectId, String id) {
        Image image = show(projectId, id);
        if (image.builtIn()) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "image " + id + " is built in and cannot be deleted");
        }
        if (!image.projectId().equals(projectId)) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "image " + id + " belongs to another project");
        }
        if (image.status().saving()) {
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, "image " + id + " is still being saved");
        }
        long using = users.applyAsLong(id);
        if (using > 0) {
            throw new AtelierException(ErrorCode.ILLEGAL_STATE, "image " + id + " is used by " + using
                    + " instance(s); delete them first");
        }
        store.delete(id);
        builder.discard(id, image.runnable());
        return image.withState(ImageStatus.DELETED, null, image.sizeKb(), image.skeleton(), image.runnable(),
                clock.millis());
    }

    /** Looks at the image's real state again and repairs its status (§2.19). */
    public Image sync(String projectId, String id) {
        Image image = show(projectId, id);
        if (image.builtIn() || image.status().saving()) {
            return image;
        }
        Image synced;
        if (image.skeleton() != null) {
            boolean there = java.nio.file.Files.isDirectory(java.nio.file.Path.of(image.skeleton()));
            synced = image.withState(there ? ImageStatus.ACTIVE : ImageStatus.ERROR, there ? null
                    : "the saved contents are gone from the server's data dir (images/saved/" + image.id() + ")", image.sizeKb(), image.skeleton(), image.runnable(), clock.millis());
        } else if (image.origin().equals("IMAGE_SAVE") && (image.status() != ImageStatus.ACTIVE
                || image.runnable() == null)) {
            return image; // a failed save stays failed
        } else {
            // a saved container image is found by the reference it was saved under
            String reference = image.origin().equals("IMAGE_SAVE") ? image.runnable() : image.swrPath();
            ImageBuilder.Located env = builder.locate(reference, image.namespace(), image.name(), image.tag());
            synced = image.withState(env.runnable() != null ? ImageStatus.ACTIVE : ImageStatus.ERROR, env.problem(),
                    env.runnable() != null && env.sizeKb() > 0 ? env.sizeKb() : image.sizeKb(), null, env.runnable(),
                    clock.millis());
        }
        if (synced.status() != image.status() || !java.util.Objects.equals(synced.statusMessage(),
                image.statusMessage())) {
            store.update(synced);
            return synced;
        }
        return image;
    }

    /** Images aggregated by namespace and name (§2.20). */
    public record Group(String id, String name, String namespace, long createAt, long updateAt, int versionCount,
                        String description, String readMe) {
    }

    public List<Group> groups(String projectId, String name, boolean fuzzy, String namespace, String type,
                              String workspaceId) {
        Map<String, List<Image>> byGroup = new LinkedHashMap<>();
        for (Image i : list(projectId, name, fuzzy, namespace, null, type, workspaceId)) {
            byGroup.computeIfAbsent(i.namespace() + "/" + i.name(), k -> new ArrayList<>()).add(i);
        }
        return byGroup.entrySet().stream().map(e -> {
            List<Image> versions = e.getValue();
            Image newest = versions.stream().max(Comparator.comparingLong(Image::updateAt)).orElseThrow();
            String id = groupId(e.getKey());
            return new Group(id, newest.name(), newest.namespace(),
                    versions.stream().mapToLong(Image::createAt).min().orElse(0), newest.updateAt(), versions.size(),
                    newest.description(), store.readMe(projectId, id).orElse(null));
        }).toList();
    }

    private Group group(String projectId, String groupId) {
        return groups(projectId, null, true, null, null, null).stream().filter(g -> g.id().equals(groupId))
                .findFirst().orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND,
                        "image group " + groupId + " does not exist"));
    }

    /** Sets the project's read-me of a group (§2.20b); returns the updated group. */
    public Group updateGroup(String projectId, String groupId, String readMe) {
        group(projectId, groupId);
        if (readMe != null) {
            if (readMe.length() > 30_000) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "read_me must be at most 30000 characters");
            }
            store.putReadMe(projectId, groupId, readMe);
        }
        return group(projectId, groupId);
    }

    /** Deletes every version of a group the project owns; returns the group as it was. */
    public Group deleteGroup(String projectId, String groupId) {
        Group group = group(projectId, groupId);
        List<Image> versions = visible(projectId).stream()
                .filter(i -> i.namespace().equals(group.namespace()) && i.name().equals(group.name())).toList();
        if (versions.stream().anyMatch(i -> i.builtIn() || !i.projectId().equals(projectId))) {
            throw new AtelierException(ErrorCode.FORBIDDEN, "image group " + groupId
                    + " has images this project does not own");
        }
        for (Image version : versions) { // all or none: one in use keeps the whole group
            long using = users.applyAsLong(version.id());
            if (using > 0) {
                throw new AtelierException(ErrorCode.ILLEGAL_STATE, "image " + version.id() + " of group " + groupId
                        + " is used by " + using + " instance(s); delete them first");
            }
        }
        versions.forEach(i -> delete(projectId, i.id()));
        return group;
    }

    private static String groupId(String key) {
        return UUID.nameUUIDFromBytes(key.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private void requireUnique(String projectId, String namespace, String name, String tag) {
        boolean taken = visible(projectId).stream().anyMatch(i -> i.namespace().equals(namespace)
                && i.name().equals(name) && i.tag().equals(tag));
        if (taken) {
            throw new AtelierException(ErrorCode.DUPLICATE_IMAGE, "image " + namespace + "/" + name + ":" + tag
                    + " already exists");
        }
    }

    private static void checkNames(String name, String namespace, String tag, String field) {
        String prefix = field == null ? "" : field + ": ";
        if (!IMAGE_NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, prefix + "name must be 1 to 128 lower-case letters, "
                    + "digits, '-', '_' and '.', starting and ending with a letter or digit");
        }
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, prefix + "namespace must be 1 to 64 letters, digits, "
                    + "'-', '_' and '.', starting with a lower-case letter");
        }
        if (!TAG.matcher(tag).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, prefix + "tag must be 1 to 64 letters, digits, "
                    + "'-', '_' and '.'");
        }
    }

    private static String workspace(String w) {
        return dev.atelier.core.model.WorkspaceId.check(w, ErrorCode.INVALID_VALUE);
    }

    private static String description(String d) {
        if (d != null && d.length() > 512) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "description must be at most 512 characters");
        }
        return d == null ? "" : d;
    }

    private static String oneOf(String value, String defaultValue, Set<String> allowed, String field) {
        String v = value == null ? defaultValue : value.toUpperCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, field + " must be one of " + allowed);
        }
        return v;
    }

    private static List<String> allOf(List<String> values, List<String> defaults, Set<String> allowed, String field) {
        if (values == null || values.isEmpty()) {
            return defaults;
        }
        return values.stream().map(v -> oneOf(v, null, allowed, field)).distinct().toList();
    }

    private static String upper(String s) {
        return s == null ? null : s.toUpperCase(Locale.ROOT);
    }
}
