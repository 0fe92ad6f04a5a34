package dev.atelier.core;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Named moments inside lifecycle steps where a test can have the server die at once, as a {@code kill -9} would:
 * the JVM halts with no shutdown hooks, nothing flushed, nothing cleaned up. Off unless the environment variable
 * {@value #VARIABLE} names a point; then the first time that point is reached the server halts (exit status 137).
 * The crash tests prove that every step is safe to redo after a crash at each of them.
 */
public final class CrashPoints {
    public static final String VARIABLE = "ATELIER_TEST_CRASH_AT";
    private static final Logger log = LoggerFactory.getLogger(CrashPoints.class);
    private static final String ARMED = System.getenv(VARIABLE);

    private CrashPoints() {
    }

    public static void reach(String point) {
        if (ARMED != null && ARMED.equals(point)) {
            log.warn("crash point {} reached: halting ({} is set)", point, VARIABLE);
            Runtime.getRuntime().halt(137);
        }
    }
}
