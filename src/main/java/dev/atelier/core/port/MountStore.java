package dev.atelier.core.port;

import dev.atelier.core.model.Mount;
import java.util.List;
import java.util.Optional;

/** Persistence of dynamic mounts. */
public interface MountStore {

    void insert(Mount mount);

    Optional<Mount> get(String id);

    List<Mount> ofInstance(String instanceId);

    void update(Mount mount);

    void delete(String id);
}
