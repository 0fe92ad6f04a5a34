package dev.atelier.core.model;

/** The instance's own work storage, mounted at {@link #MOUNT_PATH}. Capacity in GB. */
public record Volume(String category, String ownership, int capacityGb) {
    public static final String MOUNT_PATH = "/home/ma-user/work/";
}
