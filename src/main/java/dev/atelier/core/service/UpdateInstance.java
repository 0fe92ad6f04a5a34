package dev.atelier.core.service;

/**
 * A partial update (reference §2.5; the legacy API's modify, §4): null means "leave as it is". {@code autoStopMs}
 * sets auto stop the legacy way ({@code -1}: off; see {@code Lease#withAutoStop}).
 */
public record UpdateInstance(String name, String description, String flavorId, String imageId,
                             Integer storageNewSizeGb, Long autoStopMs, boolean endpointsGiven) {

    public static Builder of() {
        return new Builder();
    }

    /** Each setter names one change; what is never set stays as it is. */
    public static final class Builder {
        private String name;
        private String description;
        private String flavorId;
        private String imageId;
        private Integer storageNewSizeGb;
        private Long autoStopMs;
        private boolean endpointsGiven;

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder description(String v) {
            description = v;
            return this;
        }

        public Builder flavor(String v) {
            flavorId = v;
            return this;
        }

        public Builder image(String v) {
            imageId = v;
            return this;
        }

        public Builder storageNewSizeGb(Integer v) {
            storageNewSizeGb = v;
            return this;
        }

        public Builder autoStop(Long msOrDisabled) {
            autoStopMs = msOrDisabled;
            return this;
        }

        /** The request names SSH endpoints, which only a create may set. */
        public Builder endpointsGiven(boolean v) {
            endpointsGiven = v;
            return this;
        }

        public UpdateInstance build() {
            return new UpdateInstance(name, description, flavorId, imageId, storageNewSizeGb, autoStopMs,
                    endpointsGiven);
        }
    }
}
