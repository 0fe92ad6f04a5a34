package dev.atelier.core.model;

/** What the user asked for. The reconciler converges the actual {@link InstanceStatus} towards it. */
public enum DesiredState {
    RUNNING, STOPPED, DELETED
}
