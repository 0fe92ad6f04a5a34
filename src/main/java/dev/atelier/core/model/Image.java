package dev.atelier.core.model;

import java.util.List;

/**
 * A notebook image. For the local runtime {@code jupyterCommand} is the path of the {@code jupyter-server}
 * executable of the environment the image stands for.
 */
public record Image(String id, String name, String namespace, String tag, String swrPath, String description,
                    String arch, String type, String visibility, List<String> devServices,
                    List<String> resourceCategories, String serviceType, String workspaceId,
                    long createAt, long updateAt, String jupyterCommand) {
}
