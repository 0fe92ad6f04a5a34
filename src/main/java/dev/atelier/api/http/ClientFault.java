package dev.atelier.api.http;

import dev.atelier.core.ErrorCode;
import org.slf4j.LoggerFactory;

/**
 * A failure that the client caused while its request was being read (a body that is not valid chunked encoding or
 * ends early, a path with a malformed escape such as {@code %u002e}): answered 400 with a plain message, and
 * logged briefly, never as the server's error with a stack trace, so that a flood of bad requests cannot push real
 * history out of the logs.
 */
public record ClientFault(ErrorCode code, String message) {
    static final Log LOG = new Log(new dev.atelier.api.SummedLog(LoggerFactory.getLogger(ClientFault.class),
            "malformed request(s)", 60_000));

    /** Malformed requests, summed up in the log. */
    record Log(dev.atelier.api.SummedLog log) {
        void refused(String address, String method, String why) {
            log.refused("refused a malformed " + method + " request from " + address + ": "
                    + dev.atelier.api.SummedLog.printable(why, 200));
        }
    }

    /** The client's fault behind {@code e} (or one of its causes), or null when it is the server's. */
    public static ClientFault of(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof io.javalin.http.HttpResponseException h && h.getStatus() == 413) { // Javalin's bound
                return new ClientFault(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than "
                        + HttpApi.MAX_BODY_BYTES + " bytes");
            }
            if (t instanceof org.eclipse.jetty.http.HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
                ErrorCode code = switch (h.getCode()) {
                    case 408 -> ErrorCode.REQUEST_TIMEOUT;
                    case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
                    default -> ErrorCode.INVALID_PAYLOAD;
                };
                return new ClientFault(code, JsonErrorHandler.describe(h.getCode()));
            }
            if (t instanceof java.util.concurrent.TimeoutException && fromJetty(t)) { // no byte for the idle timeout
                return new ClientFault(ErrorCode.REQUEST_TIMEOUT, JsonErrorHandler.describe(408));
            }
            if ((t instanceof org.eclipse.jetty.io.EofException || t instanceof java.io.EOFException) && fromJetty(t)) {
                return new ClientFault(ErrorCode.INVALID_PAYLOAD, "the request body ended early");
            }
            if (t instanceof IllegalArgumentException && isDecoding(t)) {
                return new ClientFault(ErrorCode.INVALID_PARAMETER,
                        "the request URL has a malformed percent-encoding");
            }
        }
        return null;
    }

    /**
     * Raised by Jetty (or Javalin) reading the request, not, say, by a database driver whose connection was cut:
     * the first frame outside the JDK is theirs.
     */
    private static boolean fromJetty(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            String c = frame.getClassName();
            if (c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.")) {
                continue;
            }
            return c.startsWith("org.eclipse.jetty.") || c.startsWith("io.javalin.");
        }
        return false;
    }

    /** URL decoding's own complaint (java.net.URLDecoder, Jetty's URIUtil), raised from a decoder's frame. */
    private static boolean isDecoding(Throwable t) {
        for (StackTraceElement frame : t.getStackTrace()) {
            String c = frame.getClassName();
            if (c.equals("java.net.URLDecoder") || c.startsWith("org.eclipse.jetty.util.URIUtil")
                    || c.startsWith("org.eclipse.jetty.util.UrlEncoded") || c.startsWith("org.eclipse.jetty.http.HttpURI")) {
                return true;
            }
        }
        return false;
    }
}
