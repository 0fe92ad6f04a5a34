package dev.atelier.core.port;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Image;
import dev.atelier.core.model.Volume;
import java.util.Optional;

/**
 * An optional runtime capability: notebook servers started ahead of demand, each of which becomes exactly one new
 * instance. A create claims one and records the instance under the id the server was started for (its address is
 * built on that id); the runtime's launch of that instance then takes the server instead of starting one.
 */
public interface WarmStarts {

    /**
     * Claims a ready server for a new instance of {@code image}, {@code flavor} and {@code volume}; the id the
     * instance must be recorded under. Empty when none fits: the instance is started as usual.
     */
    Optional<String> claim(Image image, Flavor flavor, Volume volume);

    /** Gives back a claim whose instance was not recorded after all (a refused create). */
    void unclaim(String instanceId);

    /**
     * Lets go of a claim whose create ended without telling whether the instance was recorded (its insert failed
     * with an error): the server is stopped and never handed out; an instance recorded all the same starts as usual.
     */
    void giveUp(String instanceId);

    /** No servers kept warm: every instance is started as usual. */
    WarmStarts NONE = new WarmStarts() {
        @Override
        public Optional<String> claim(Image image, Flavor flavor, Volume volume) {
            return Optional.empty();
        }

        @Override
        public void unclaim(String instanceId) {
        }

        @Override
        public void giveUp(String instanceId) {
        }
    };
}
