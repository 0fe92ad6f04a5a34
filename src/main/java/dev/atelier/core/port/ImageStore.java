package dev.atelier.core.port;

import dev.atelier.core.model.Image;
import java.util.List;
import java.util.Optional;

/** Persistence of user images (built-in images live in code). */
public interface ImageStore {

    void insert(Image image);

    Optional<Image> get(String id);

    void update(Image image);

    boolean delete(String id);

    /** Images of the project and public images of other projects. */
    List<Image> visibleTo(String projectId);

    /** The project's read-me of an image group, if it wrote one. */
    Optional<String> readMe(String projectId, String groupId);

    void putReadMe(String projectId, String groupId, String readMe);

    /** The image being saved from an instance, if a save is in progress. */
    Optional<Image> pendingSave(String instanceId);
}
