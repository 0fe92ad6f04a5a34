package dev.atelier.api.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atelier.core.ErrorCode;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * What Jetty answers itself, before a request reaches the API or after the API could not (a request line or
 * headers it cannot parse, a URI or headers over the limit, an HTTP version it does not speak, a body that is
 * not valid chunked encoding): the same JSON error as every other answer, with an {@code X-Request-Id}, never
 * Jetty's HTML page, its stack traces or its parser's words.
 */
final class JsonErrorHandler extends ErrorHandler {
    private final ObjectMapper mapper = Json.mapper();

    @Override
    public boolean errorPageForMethod(String method) {
        return true; // HEAD's body is dropped by Jetty itself; every other method gets the JSON
    }

    @Override
    protected void generateResponse(Request request, Response response, int status, String message, Throwable cause,
                                    Callback callback) {
        String requestId = HttpApi.requestId();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error_code", codeOf(status));
        body.put("error_msg", describe(status));
        body.put("request_id", requestId);
        byte[] bytes;
        try {
            bytes = mapper.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            bytes = "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        response.getHeaders().put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        response.getHeaders().put("X-Request-Id", requestId);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }

    /** The code the API itself gives for that status. */
    static String codeOf(int status) {
        return WireCodes.v1(switch (status) {
            case 401 -> ErrorCode.AUTH_MISSING;
            case 403 -> ErrorCode.FORBIDDEN;
            case 404 -> ErrorCode.ROUTE_NOT_FOUND;
            case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
            case 503 -> ErrorCode.UNAVAILABLE;
            default -> status >= 500 && status != 505 ? ErrorCode.INTERNAL : ErrorCode.INVALID_PAYLOAD;
        }).code();
    }

    /** A plain sentence for each status Jetty itself may answer; never the exception's text. */
    static String describe(int status) {
        return switch (status) {
            case 400 -> "the request is malformed (request line, headers, URI or body encoding)";
            case 408 -> "the request was not received in time";
            case 413 -> "the request body is too large";
            case 414 -> "the request URI is too long";
            case 431 -> "the request headers are too large";
            case 505 -> "the HTTP version is not supported; use HTTP/1.1";
            case 404 -> "no such API";
            case 405 -> "the method is not allowed here";
            case 500 -> "internal error";
            default -> HttpStatus.getMessage(status);
        };
    }
}
