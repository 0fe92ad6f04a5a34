package dev.atelier.core.model;

/** Status of one step of a create/start job ({@code action_progress[].status}). */
public enum StepStatus {
    WAITING, PROCESSING, COMPLETED, FAILED
}
