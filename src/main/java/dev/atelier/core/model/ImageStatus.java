package dev.atelier.core.model;

/** Where an image is in its life (reference §2.13): being saved, usable, broken, or gone. */
public enum ImageStatus {
    INIT, CREATING, CREATE_FAILED, ACTIVE, ERROR, DELETED;

    /** Still being saved from its instance: neither usable nor removable yet. */
    public boolean saving() {
        return this == INIT || this == CREATING;
    }
}
