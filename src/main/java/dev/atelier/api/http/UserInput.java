package dev.atelier.api.http;

import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Which of a notebook client's requests and messages are a person using the notebook, for idle leases: code sent to
 * a kernel (and answers to its {@code input()}), keys typed into a terminal, and requests that change something
 * (saving a notebook, starting a kernel). Not the page's own polling (the tree's listings, status and session
 * checks), which an open browser tab sends whether anyone looks at it or not.
 */
final class UserInput {
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");
    private static final byte[] EXECUTE = "\"execute_request\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INPUT_REPLY = "\"input_reply\"".getBytes(StandardCharsets.US_ASCII);

    /** What a WebSocket carries, told from its path. */
    enum Channel { KERNEL, TERMINAL, OTHER }

    private UserInput() {
    }

    private static final java.util.regex.Pattern KERNEL_CHANNELS =
            java.util.regex.Pattern.compile(".*/api/kernels/([^/]+)/channels/?");

    static Channel channelOf(String path) {
        if (KERNEL_CHANNELS.matcher(path).matches()) {
            return Channel.KERNEL;
        }
        return path.contains("/terminals/websocket/") ? Channel.TERMINAL : Channel.OTHER;
    }

    /** The kernel a WebSocket path's channels are of, or null where it is not a kernel's. */
    static String kernelOf(String path) {
        var m = KERNEL_CHANNELS.matcher(path);
        return m.matches() ? m.group(1) : null;
    }

    /** Whether an HTTP request through the gateway is someone doing something: any method but a read. */
    static boolean isInput(String method) {
        return !READS.contains(method);
    }

    /** Whether a text message from the client is input: code for the kernel, keys for the terminal. */
    static boolean isInput(Channel channel, CharSequence message) {
        return switch (channel) {
            case KERNEL -> {
                String s = message.toString();
                yield s.contains("\"execute_request\"") || s.contains("\"input_reply\"");
            }
            case TERMINAL -> message.toString().startsWith("[\"stdin\"");
            case OTHER -> false;
        };
    }

    /** Whether a binary message from the client (the kernel protocol's binary framing) carries code or input. */
    static boolean isInput(Channel channel, byte[] message) {
        return channel == Channel.KERNEL && (contains(message, EXECUTE) || contains(message, INPUT_REPLY));
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
