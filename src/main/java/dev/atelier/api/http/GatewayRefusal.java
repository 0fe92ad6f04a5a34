package dev.atelier.api.http;

import dev.atelier.core.ErrorCode;
import io.javalin.http.Context;

/** Why a request does not get through, with the HTTP status the gateway answers. */
final class GatewayRefusal extends RuntimeException {
    final int status;
    final ErrorCode code;
    int retryAfter;

    GatewayRefusal(int status, ErrorCode code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    GatewayRefusal retryAfter(int seconds) {
        this.retryAfter = seconds;
        return this;
    }

    static void securityHeaders(Context ctx) {
        if (ctx.res().getHeader("Content-Security-Policy") == null) {
            ctx.header("Content-Security-Policy", "frame-ancestors 'self'");
        }
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
    }

    /** A JSON error for API clients, a short page for browsers; never a hang. */
    static void answer(Context ctx, GatewayRefusal r) {
        answer(ctx, r, false);
    }

    /** As above; {@code upgrade}: the request asks for a WebSocket, whose refusal Javalin sends without its body. */
    static void answer(Context ctx, GatewayRefusal r, boolean upgrade) {
        if (upgrade && ctx.attribute("request-id") == null) { // the API's filters do not run before an upgrade
            String id = HttpApi.requestId();
            ctx.attribute("request-id", id);
            ctx.header("X-Request-Id", id);
        }
        if (r.retryAfter > 0) {
            ctx.header("Retry-After", Integer.toString(r.retryAfter));
        }
        securityHeaders(ctx);
        String accept = ctx.header("Accept");
        if (accept != null && accept.contains("text/html")) {
            String title = r.status == 503 ? "Not running" : r.status == 401 ? "Sign in" : "Not available";
            String refresh = r.retryAfter > 0 ? "<meta http-equiv=\"refresh\" content=\"" + r.retryAfter + "\">" : "";
            ctx.status(r.status).contentType("text/html; charset=utf-8").result("<!doctype html><html><head>"
                    + "<meta charset=\"utf-8\">" + refresh + "<title>" + title + "</title></head><body><h1>" + title
                    + "</h1><p>" + escape(r.getMessage()) + "</p></body></html>");
        } else {
            HttpApi.writeError(ctx, r.code, r.getMessage());
        }
        ctx.status(r.status);
        if (upgrade) {
            writeNow(ctx);
        }
    }

    /**
     * Writes the answer's body itself: Javalin sends the status and headers of a WebSocket upgrade it refuses, but
     * not the body its handler left.
     */
    private static void writeNow(Context ctx) {
        try (java.io.InputStream in = ctx.resultInputStream()) {
            if (in == null) {
                return;
            }
            byte[] body = in.readAllBytes();
            ctx.res().setContentLength(body.length);
            ctx.res().getOutputStream().write(body);
            ctx.res().flushBuffer();
        } catch (java.io.IOException e) {
            // the client has gone
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
