package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.support.SharedServerWithoutNotebooks;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A client that sends its request a byte at a time must not hold a connection (and what serves it) for ever:
 * a trickled body is refused once it falls below the minimum rate, trickled headers are cut off after 10 s, and a
 * sign-in body over 16 KiB is refused from its declared length, before a byte of it is read.
 */
class SlowClientsTest extends SharedServerWithoutNotebooks {

    @Test
    void aBodyTrickledByteByByteIsRefusedWithin10Seconds() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 200\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            String answer = trickle(s, ' ', 60);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertThat(seconds).as("cut off, not held for the 60 bytes' two minutes").isLessThan(10);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("application/json").contains("ModelArts.6400")
                    .contains("not received in time");
        }
    }

    @Test
    void aBodyThatStopsArrivingIsAnswered408WithTheApisJsonErrorSignedOrNot() throws Exception {
        String body = "{\"name\":\"stalled\",\"flavor\":\"modelarts.vm.cpu.2u\"}";
        try (Socket signed = connect(); Socket signIn = connect()) {
            StringBuilder request = new StringBuilder("POST " + "/v1/{project_id}/notebooks".replace("{project_id}",
                    api.projectId()) + " HTTP/1.1\r\n");
            // the signature covers the body, so it is read before any route: there the read times out
            api.signedHeaders("POST", "/v1/{project_id}/notebooks", body)
                    .forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
            request.append("Content-Length: ").append(body.length()).append("\r\n\r\n").append(body, 0, 10);
            signed.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
            // a sign-in's body is read by its route
            signIn.getOutputStream().write(("POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"auth\":")
                    .getBytes(StandardCharsets.US_ASCII));
            for (Socket s : java.util.List.of(signed, signIn)) {
                s.setSoTimeout(60_000);
                assertThat(read(s.getInputStream())).startsWith("HTTP/1.1 408").contains("application/json")
                        .contains("ModelArts.6400").contains("not received in time");
            }
        }
    }

    @Test
    void headersTrickledByteByByteAreCutOffWithinTwentySeconds() throws Exception {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(
                    StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            String answer = trickle(s, 'a', 60);
            assertThat(answer).as("cut off, not answered").isEmpty();
            assertThat((System.nanoTime() - start) / 1e9).isLessThan(20);
        }
    }

    @Test
    void aLargeSignInBodyIsRefusedFromItsDeclaredLengthWithoutBeingRead() throws Exception {
        try (Socket s = connect()) {
            // declares 1 MiB and sends none of it: the answer must come anyway
            s.getOutputStream().write(("POST /v3/auth/tokens HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1048576\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = read(s.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 413").contains("larger than 16384 bytes");
        }
    }

    @Test
    void aChunkedConsoleSignInOverItsBoundIsRefusedAs413NotTakenForAFormOrAFailure() throws Exception {
        // 100 kB declares no length: it is measured once read; 2 MB is over the bound on every body
        for (int kb : new int[] {100, 2048}) {
            try (Socket s = connect()) {
                OutputStream out = s.getOutputStream();
                out.write(("POST /console/sign-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = ("user=admin&password=" + "a".repeat(1000 - 20)).getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; i < kb; i++) {
                        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        chunk = "a".repeat(1000).getBytes(StandardCharsets.US_ASCII);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // refused before the end was sent: the answer is read below
                }
                String answer = read(s.getInputStream());
                assertThat(answer).as(kb + " kB").startsWith("HTTP/1.1 413").contains("text/html")
                        .doesNotContain("Something went wrong");
            }
        }
    }

    /** Sends one byte every second until the server stops listening; returns what it answered. */
    private static String trickle(Socket s, char c, int bytes) throws IOException {
        try {
            for (int i = 0; i < bytes; i++) {
                s.getOutputStream().write(c);
                s.getOutputStream().flush();
                Thread.sleep(1000);
                if (s.getInputStream().available() > 0) {
                    break;
                }
            }
        } catch (IOException e) {
            // the server closed the connection: what it answered before is read below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return read(s.getInputStream());
    }

    private static String read(InputStream in) {
        StringBuilder out = new StringBuilder();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                if (out.indexOf("\r\n\r\n") > 0 && out.indexOf("}") > 0) {
                    break;
                }
            }
        } catch (IOException e) {
            // reset or closed
        }
        return out.toString();
    }

    private static Socket connect() throws IOException {
        URI url = URI.create(server.url());
        Socket s = new Socket();
        s.connect(new InetSocketAddress(url.getHost(), url.getPort()), 5000);
        s.setSoTimeout(30_000);
        return s;
    }
}
