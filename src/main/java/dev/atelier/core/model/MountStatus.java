package dev.atelier.core.model;

/**
 * Where a dynamic mount stands (reference §2.12): asked for ({@code MOUNTING}, {@code UNMOUNTING}), carried out
 * ({@code MOUNTED}), or failed with a reason ({@code MOUNT_FAILED}, {@code UNMOUNT_FAILED}).
 */
public enum MountStatus {
    MOUNTING, MOUNTED, UNMOUNTING, MOUNT_FAILED, UNMOUNT_FAILED
}
