package dev.atelier.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * What the gateway reads of the Jupyter kernel protocol's messages (as JSON text frames: clients that speak the
 * binary {@code v1.kernel.websocket.jupyter.org} protocol are not followed) to follow code sent to a kernel: the id
 * of an {@code execute_request}, the request a kernel's {@code idle} status answers, and a restart or death. Only
 * messages that can be one of those are parsed; anything else, or anything malformed, is none.
 */
final class KernelMessages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KernelMessages() {
    }

    /** The {@code msg_id} of an {@code execute_request} from a client, else null. */
    static String executeRequestId(String message) {
        if (!message.contains("execute_request")) {
            return null;
        }
        JsonNode header = parse(message).path("header");
        return "execute_request".equals(header.path("msg_type").asText()) ? text(header.path("msg_id")) : null;
    }

    /** The {@code msg_id} of the request a kernel's {@code idle} status is the end of, else null. */
    static String idleAfter(String message) {
        if (!message.contains("execution_state") || !message.contains("idle")) {
            return null;
        }
        JsonNode m = parse(message);
        boolean idle = "status".equals(m.path("header").path("msg_type").asText())
                && "idle".equals(m.path("content").path("execution_state").asText());
        return idle ? text(m.path("parent_header").path("msg_id")) : null;
    }

    /** Whether the message says the kernel is restarting, dead or starting anew: nothing it ran runs on. */
    static boolean restartedOrDead(String message) {
        if (!message.contains("execution_state")) {
            return false;
        }
        JsonNode m = parse(message);
        String state = m.path("content").path("execution_state").asText();
        return "status".equals(m.path("header").path("msg_type").asText())
                && (state.equals("restarting") || state.equals("dead") || state.equals("starting"));
    }

    private static JsonNode parse(String message) {
        try {
            JsonNode n = JSON.readTree(message);
            return n == null ? JSON.missingNode() : n;
        } catch (IOException e) {
            return JSON.missingNode();
        }
    }

    private static String text(JsonNode n) {
        return n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
    }
}
