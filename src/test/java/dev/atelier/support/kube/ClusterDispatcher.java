package dev.atelier.support.kube;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mock API server's dispatcher: objects as the CRUD dispatcher keeps them, and a pod's {@code exec} and
 * {@code log} answered by the node agent from the pod's container, as an API server passes them to the kubelet.
 * Counts the calls that are not the node agent's.
 */
final class ClusterDispatcher extends KubernetesCrudDispatcher {
    private static final Pattern POD_SUBRESOURCE =
            Pattern.compile("/api/v1/namespaces/([^/]+)/pods/([^/?]+)/(exec|log|portforward)(\\?.*)?");
    private final AtomicLong atelierCalls = new AtomicLong();
    private volatile NodeAgent agent;

    void serveFrom(NodeAgent value) {
        this.agent = value;
    }

    long atelierCalls() {
        return atelierCalls.get();
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        if (request.getHeader(TestCluster.AGENT_HEADER) == null) {
            atelierCalls.incrementAndGet();
        }
        Matcher m = POD_SUBRESOURCE.matcher(request.getPath());
        if (m.matches() && agent != null) {
            Map<String, List<String>> query = query(m.group(4));
            return switch (m.group(3)) {
                case "exec" -> agent.exec(m.group(1), m.group(2), query);
                case "portforward" -> agent.portForward(m.group(1), m.group(2), query);
                default -> agent.log(m.group(1), m.group(2), query);
            };
        }
        return super.dispatch(request);
    }

    /** A 404 as the API server answers it: a Status object. */
    static MockResponse notFound(String message) {
        return new MockResponse().setResponseCode(404).setHeader("Content-Type", "application/json")
                .setBody("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\","
                        + "\"message\":\"" + message + "\",\"code\":404}");
    }

    private static Map<String, List<String>> query(String q) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (q == null || q.length() < 2) {
            return out;
        }
        for (String pair : q.substring(1).split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }
}
