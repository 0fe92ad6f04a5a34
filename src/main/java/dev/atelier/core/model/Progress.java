package dev.atelier.core.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The four steps of a create or start job: 1 prepare storage, 2 prepare compute resources,
 * 3 configure network, 4 initialise instance.
 */
public record Progress(List<StepStatus> steps) {

    public static final int STEPS = 4;
    private static final java.util.Map<String, Progress> DECODED = new java.util.concurrent.ConcurrentHashMap<>();
    private static final String[] DESCRIPTIONS = {
        "prepare storage", "prepare compute resources", "configure network", "initialize instance"
    };

    public Progress {
        if (steps.size() != STEPS) {
            throw new IllegalArgumentException("a job has exactly " + STEPS + " steps");
        }
        steps = List.copyOf(steps);
    }

    public static Progress waiting() {
        return new Progress(List.of(StepStatus.WAITING, StepStatus.WAITING, StepStatus.WAITING, StepStatus.WAITING));
    }

    /** @param step 1-based step number */
    public StepStatus step(int step) {
        return steps.get(step - 1);
    }

    public Progress with(int step, StepStatus status) {
        List<StepStatus> copy = new ArrayList<>(steps);
        copy.set(step - 1, status);
        return new Progress(copy);
    }

    /**
     * At {@code step} (1-based): the steps before it completed, it under way, the steps after it waiting (a start
     * can go back a step, as a pod that lost its node does).
     */
    public Progress at(int step) {
        List<StepStatus> copy = new ArrayList<>(steps);
        for (int i = 1; i <= STEPS; i++) {
            copy.set(i - 1, i < step ? StepStatus.COMPLETED : i == step ? StepStatus.PROCESSING : StepStatus.WAITING);
        }
        return new Progress(copy);
    }

    /** Marks the first step that has not completed as failed. */
    public Progress failCurrent() {
        for (int i = 1; i <= STEPS; i++) {
            if (step(i) != StepStatus.COMPLETED) {
                return with(i, StepStatus.FAILED);
            }
        }
        return this;
    }

    public static String description(int step) {
        return DESCRIPTIONS[step - 1];
    }

    /** Compact form for storage, e.g. {@code COMPLETED,PROCESSING,WAITING,WAITING}. */
    public String encode() {
        return String.join(",", steps.stream().map(Enum::name).toList());
    }

    /** Read with every instance row; there are few distinct values, each decoded once. */
    public static Progress decode(String encoded) {
        Progress p = DECODED.get(encoded);
        if (p == null) {
            p = new Progress(java.util.Arrays.stream(encoded.split(",")).map(StepStatus::valueOf).toList());
            if (DECODED.size() < 1024) {
                DECODED.put(encoded, p);
            }
        }
        return p;
    }
}
