package dev.atelier.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.Marker;

/**
 * Drops the web framework's own warning for each request body over the size limit: a client chooses how many to
 * send, and the refusal is already logged, summed up once a minute, with the other malformed requests
 * ({@code ClientFault}). Installed by logback.xml.
 */
public final class ClientNoiseFilter extends TurboFilter {
    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params,
                              Throwable t) {
        return level == Level.WARN && format != null && logger.getName().startsWith("io.javalin")
                && format.startsWith("Body size greater than max size") ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
}
