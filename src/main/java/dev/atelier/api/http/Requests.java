package dev.atelier.api.http;

import dev.atelier.api.InstanceIds;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.service.IdentityService;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.util.List;

/**
 * What every route reads from a request, in one place: the caller and their project, the instance id in the path
 * (in either API's spelling), query parameters and bounded bodies; and the wrappers that authorise a route.
 */
final class Requests {

    private Requests() {
    }

    /** The instance id of the path, as the core spells it, whichever API's form it was given in. */
    static String instanceId(Context ctx) {
        return InstanceIds.canonical(ctx.pathParam("id"));
    }

    /** A query parameter, with an empty value counting as absent. */
    static String query(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v != null && v.indexOf('\0') >= 0) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, name + " must not contain a NUL character");
        }
        return v == null || v.isEmpty() ? null : v;
    }

    /** The authenticated caller of this request, after checking that the path's project is theirs. */
    static Caller caller(Context ctx) {
        Caller caller = authenticated(ctx);
        checkProject(ctx, caller, ctx.pathParam("project_id"));
        return caller;
    }

    /** The form of every project id Atelier makes (IAM's: 32 lower-case hexadecimal characters). */
    private static final java.util.regex.Pattern PROJECT_ID = java.util.regex.Pattern.compile("[0-9a-f]{32}");

    /** Refuses a request into {@code projectId} unless it is one of the caller's (or the caller administers the service and it exists). */
    static void checkProject(Context ctx, Caller caller, String projectId) {
        if (projectId.equals(ctx.attribute(HttpApi.PROJECT_CHECKED))) {
            return; // checked already for this request
        }
        if (!caller.projects().contains(projectId) && !PROJECT_ID.matcher(projectId).matches()) {
            // not one of the caller's, and not even the form of an id (reference §1.2: invalid is 400, another's 403)
            throw new AtelierException(ErrorCode.PROJECT_INVALID, "'" + projectId + "' is not a project id: one is "
                    + "32 lower-case hexadecimal characters");
        }
        caller.requireProject(projectId);
        if (!caller.projects().contains(projectId)) { // a service administrator's: the project must exist
            IdentityService identity = ctx.attribute(HttpApi.IDENTITY);
            if (identity == null || !identity.projectExists(projectId)) {
                throw new AtelierException(ErrorCode.PROJECT_FORBIDDEN, "project " + projectId + " does not exist");
            }
        }
        ctx.attribute(HttpApi.PROJECT_CHECKED, projectId);
    }

    /** The token the request was sent with, or null (signed with an access key). */
    static String token(Context ctx) {
        return dev.atelier.core.auth.Authenticator.tokenOf(ctx::header);
    }

    /** The authenticated caller, for routes outside a project. */
    static Caller authenticated(Context ctx) {
        Caller caller = ctx.attribute(HttpApi.CALLER);
        if (caller == null) {
            throw new AtelierException(ErrorCode.AUTH_MISSING, "the request is not authenticated");
        }
        return caller;
    }

    /**
     * Routes of one instance ({@code {id}} in the path): the caller must own it or administer its project; the
     * instance, when found, is handed to the handler as the {@link HttpApi#AUTHORIZED} attribute.
     */
    static Handler ownInstance(dev.atelier.core.service.InstanceService instances, Handler h) {
        return ctx -> {
            instances.authorize(caller(ctx), ctx.pathParam("project_id"), instanceId(ctx))
                    .ifPresent(i -> ctx.attribute(HttpApi.AUTHORIZED, i));
            h.handle(ctx);
        };
    }

    /** What the authenticator reads of the request: method, raw path and query, headers, and {@code body} when asked. */
    static dev.atelier.core.auth.SignedRequest signedRequest(Context ctx, java.util.function.Supplier<byte[]> body) {
        return new dev.atelier.core.auth.SignedRequest(ctx.method().name(), ctx.req().getRequestURI(),
                ctx.req().getQueryString(), name -> ctx.req().getHeader(name), body);
    }

    static Handler secured(Handler h) {
        return ctx -> {
            caller(ctx);
            h.handle(ctx);
        };
    }

    /** Routes that change what the whole project shares (images): project administrators only. */
    static Handler administered(Handler h) {
        return ctx -> {
            caller(ctx).requireProjectAdministrator(ctx.pathParam("project_id"), "change the project's images");
            h.handle(ctx);
        };
    }

    /**
     * The request body, refused (413) without reading it when its declared length is over {@code max}, and read no
     * further than that when it has none (chunked).
     */
    static byte[] boundedBody(Context ctx, int max) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) {
            throw new AtelierException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than " + max
                    + " bytes");
        }
        try (java.io.InputStream in = ctx.req().getInputStream()) {
            byte[] body = in.readNBytes(max + 1);
            if (body.length > max) {
                throw new AtelierException(ErrorCode.PAYLOAD_TOO_LARGE, "the request body is larger than " + max
                        + " bytes");
            }
            return body;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a malformed or cut-off body: the client's fault (ClientFault)
        }
    }

    static <T> List<T> page(List<T> all, int offset, int limit) {
        if (offset >= all.size()) {
            return List.of();
        }
        return all.subList(offset, (int) Math.min(all.size(), (long) offset + limit));
    }

    static Long longParam(Context ctx, String name) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        try {
            return dev.atelier.core.AsciiNumbers.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, name + " must be an integer");
        }
    }

    static int intParam(Context ctx, String name, int defaultValue, int min, int max) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isEmpty()) {
            return defaultValue;
        }
        try {
            int v = dev.atelier.core.AsciiNumbers.parseInt(raw);
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new AtelierException(ErrorCode.INVALID_PARAMETER, name + " must be an integer between " + min
                    + " and " + max);
        }
    }
}
