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
