package dev.atelier.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --instance-network none}: an instance's notebook and kernels work, and nothing outside is reachable. */
class NoOutboundNetworkTest {
    @TempDir
    Path dataDir;

    @Test
    void withOutboundAccessOffAnInstanceReachesNothingButItsNotebookWorks() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "sandboxes need root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/slirp4netns")), "slirp4netns is not installed");
        InetAddress outside = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .filter(i -> !i.getName().equals("lo")).flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).findFirst().orElse(null);
        Assumptions.assumeTrue(outside != null, "this host has no address outside its loopback to stand for the world");
        try (TestServer server = TestServer.sandboxed(dataDir, "none");
             ServerSocket world = new ServerSocket(0, 50, outside)) {
            SignedClient api = server.client();
            String id = api.post("/v1/{project_id}/notebooks", TestServer.createBody("closed")).json().get("id")
                    .asText();
            JsonNode nb = StartStopLeaseTest.awaitStatus(api, id, "RUNNING");
            String out = new Jupyter(nb.get("url").asText(), nb.get("token").asText()).execute(String.join("\n",
                    "import socket",
                    "try:",
                    "    socket.create_connection(('" + outside.getHostAddress() + "', " + world.getLocalPort()
                            + "), timeout=3).close()",
                    "    print('reached')",
                    "except OSError:",
                    "    print('unreachable')"));
            assertThat(out).isEqualTo("unreachable\n");
            assertThat(api.get("/health/ready").body()).contains("with no outbound access");
            api.delete("/v1/{project_id}/notebooks/" + id);
        }
    }
}
