package dev.atelier.core.model;

import java.util.List;

/**
 * A notebook image. {@code projectId} is null for built-in images. What an image is on the host is the
 * runtime's business: for the local runtime, {@code runnable} is the {@code jupyter-server} of the Python
 * environment the image stands for, and {@code skeleton} (saved images only) a directory whose contents seed a
 * new instance's home. {@code sourceInstanceId} is set on images saved from an instance.
 */
public record Image(String id, String projectId, String workspaceId, String name, String namespace, String tag,
                    String swrPath, String description, String arch, String type, String visibility, String origin,
                    List<String> devServices, List<String> resourceCategories, String serviceType, ImageStatus status,
                    String statusMessage, long sizeKb, String runnable, String skeleton,
                    String sourceInstanceId, long createAt, long updateAt) {

    public static final String BUILD_IN = "BUILD_IN";
    public static final String DEDICATED = "DEDICATED";

    public Image {
        devServices = List.copyOf(devServices);
        resourceCategories = List.copyOf(resourceCategories);
    }

    public boolean builtIn() {
        return projectId == null;
    }

    /** Visible to a project: built-in and public images to all, private ones to their own project. */
    public boolean visibleTo(String project) {
        return builtIn() || "PUBLIC".equals(visibility) || project.equals(projectId);
    }

    public Image withState(ImageStatus newStatus, String message, long newSizeKb, String newSkeleton, String command,
                           long now) {
        return new Image(id, projectId, workspaceId, name, namespace, tag, swrPath, description, arch, type,
                visibility, origin, devServices, resourceCategories, serviceType, newStatus, message, newSizeKb,
                command, newSkeleton, sourceInstanceId, createAt, now);
    }
}
