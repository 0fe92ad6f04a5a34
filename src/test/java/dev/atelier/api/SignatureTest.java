package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.support.SharedServer;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

/** AK/SK verification against requests signed by the official SDK signer. */
class SignatureTest extends SharedServer {
    private static final DateTimeFormatter SDK_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    @Test
    void aCorrectlySignedRequestIsAccepted() {
        Response r = api.get("/v1/{project_id}/notebooks");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("total").asLong()).isZero();
    }

    @Test
    void aSignedQueryStringIsVerifiedWhateverItsEncoding() {
        Response r = api.get("/v1/{project_id}/notebooks?sort_dir=DESC&name=a%20b*c~d&limit=20&offset=0");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aBodyChangedAfterSigningIsRefused() {
        Response r = api.sendTampered("POST", "/v1/{project_id}/notebooks", TestServer.createBody("signed"),
                TestServer.createBody("tampered"));
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.errorCode()).isEqualTo("ModelArts.0208");
        assertThat(api.get("/v1/{project_id}/notebooks").json().get("total").asLong()).isZero();
    }

    @Test
    void aBodySentWithAGetIsCoveredByTheSignatureLikeAnyOther() {
        // a read with no body is signed over the empty body without reading one; one that declares a body is not
        Response r = api.sendTampered("GET", "/v1/{project_id}/notebooks", null, "{\"smuggled\": true}");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.errorCode()).isEqualTo("ModelArts.0208");
    }

    @Test
    void aContentHashHeaderCannotStandInForTheBody() {
        String body = TestServer.createBody("hashed");
        String otherHash = dev.atelier.core.auth.SdkHmacSha256.sha256Hex("{}".getBytes());
        // signed, but not the hash of the body sent
        Response signedWrong = api.sendWithHeader("POST", "/v1/{project_id}/notebooks", body, body,
                "X-Sdk-Content-Sha256", otherHash, true);
        assertThat(signedWrong.status()).isEqualTo(401);
        assertThat(signedWrong.errorCode()).isEqualTo("ModelArts.0208");
        // not signed: ignored, the body's own hash is used (and the signature over it holds)
        Response unsigned = api.sendWithHeader("GET", "/v1/{project_id}/notebooks", null, null,
                "X-Sdk-Content-Sha256", otherHash, false);
        assertThat(unsigned.status()).as(unsigned.body()).isEqualTo(200);
        // a replayed signature with the header added and another body
        Response replayed = api.sendWithHeader("POST", "/v1/{project_id}/notebooks", body,
                TestServer.createBody("replayed"), "X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD", false);
        assertThat(replayed.status()).isEqualTo(401);
    }

    @Test
    void aMalformedPercentEncodingIsABadRequest() throws Exception {
        // no signer produces this, so the request is made by hand: a real key, a date in range, any signature
        // (and over a plain socket: the JDK's URI refuses to build it)
        String ak = server.credentials().get("access_key").asText();
        URI base = URI.create(server.url());
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.getOutputStream().write(("GET /v1/" + api.projectId() + "/notebooks?name=%zz HTTP/1.1\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\nX-Sdk-Date: " + minutesAgo(0) + "\r\n"
                    + "Authorization: SDK-HMAC-SHA256 Access=" + ak + ", SignedHeaders=host;x-sdk-date, Signature="
                    + "0".repeat(64) + "\r\nConnection: close\r\n\r\n").getBytes());
            String response = new String(socket.getInputStream().readAllBytes());
            assertThat(response).startsWith("HTTP/1.1 400").contains("percent-encoding")
                    .containsIgnoringCase("Content-Type: application/json");
        }
    }

    @Test
    void aWrongSecretKeyIsRefused() {
        Response r = api.withSecretKey("not-the-secret-key-not-the-secret-key-00").get("/v1/{project_id}/notebooks");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.errorCode()).isEqualTo("ModelArts.0208");
        assertThat(r.contentType()).startsWith("application/json");
    }

    @Test
    void anUnknownAccessKeyIsRefused() {
        Response r = api.withAccessKey("NOSUCHACCESSKEY00000").get("/v1/{project_id}/notebooks");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.errorCode()).isEqualTo("ModelArts.0206");
    }

    @Test
    void aSignatureDatedWithinFifteenMinutesIsAcceptedAndAStaleOneRefused() {
        Response recent = api.sendDated("GET", "/v1/{project_id}/notebooks", minutesAgo(14));
        assertThat(recent.status()).as(recent.body()).isEqualTo(200);
        Response stale = api.sendDated("GET", "/v1/{project_id}/notebooks", minutesAgo(16));
        assertThat(stale.status()).isEqualTo(401);
        assertThat(stale.errorCode()).isEqualTo("ModelArts.0207");
        Response future = api.sendDated("GET", "/v1/{project_id}/notebooks", minutesAgo(-16));
        assertThat(future.status()).isEqualTo(401);
    }

    @Test
    void anUnsignedRequestIsRefusedWithAJsonError() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(server.url() + "/v1/" + api.projectId() + "/notebooks")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(r.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(r.body()).contains("\"error_code\":\"ModelArts.0201\"").contains("\"error_msg\"");
    }

    @Test
    void aProjectThatIsNotTheCallersIsForbidden() {
        Response r = api.get("/v1/00000000000000000000000000000000/notebooks");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.errorCode()).isEqualTo("ModelArts.0210");
    }

    private static String minutesAgo(int minutes) {
        return ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(minutes).format(SDK_DATE);
    }
}
