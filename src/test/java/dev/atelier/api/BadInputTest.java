package dev.atelier.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.support.SharedServer;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input gets a 4xx with a ModelArts error that names the field: never a 500, never a stack trace. */
class BadInputTest extends SharedServer {
    private static final String IMAGE = TestServer.IMAGE_ID;
    private static final String VOLUME = "\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\"}";

    static Stream<Arguments> badCreates() {
        String ok = "\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE + "\"," + VOLUME;
        return Stream.of(
                Arguments.of("", "ModelArts.6400", "JSON object body"),
                Arguments.of("{\"name\":", "ModelArts.6400", "not valid JSON"),
                Arguments.of("[1,2]", "ModelArts.6400", "JSON object"),
                Arguments.of("{\"name\":\"a\"} trailing", "ModelArts.6400", "not valid JSON"),
                Arguments.of("{" + ok + "}", "ModelArts.6335", "name is required"),
                Arguments.of("{\"name\":42," + ok + "}", "ModelArts.6332", "name must be a string"),
                Arguments.of("{\"name\":\"has space\"," + ok + "}", "ModelArts.6336", "name must be"),
                Arguments.of("{\"name\":\"" + "n".repeat(129) + "\"," + ok + "}", "ModelArts.6336", "name must be"),
                Arguments.of("{\"name\":\"a\",\"description\":\"<b>\"," + ok + "}", "ModelArts.6334", "description"),
                Arguments.of("{\"name\":\"a\",\"image_id\":\"" + IMAGE + "\"," + VOLUME + "}", "ModelArts.6335",
                        "flavor is required"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.gpu.none\",\"image_id\":\"" + IMAGE + "\","
                        + VOLUME + "}", "ModelArts.6323", "modelarts.vm.gpu.none"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"nope\"," + VOLUME
                        + "}", "ModelArts.6797", "image_id nope"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE + "\"}",
                        "ModelArts.6335", "volume is required"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE
                        + "\",\"volume\":\"EVS\"}", "ModelArts.6332", "volume must be an object"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE
                        + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":\"5\"}}",
                        "ModelArts.6332", "volume.capacity must be an integer"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE
                        + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":5000}}",
                        "ModelArts.6331", "volume.capacity"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE
                        + "\",\"volume\":{\"category\":\"EVS\",\"ownership\":\"MANAGED\",\"capacity\":99999999999999}}",
                        "ModelArts.6331", "volume.capacity"),
                Arguments.of("{\"name\":\"a\",\"flavor\":\"modelarts.vm.cpu.2u\",\"image_id\":\"" + IMAGE
                        + "\",\"volume\":{\"ownership\":\"MANAGED\"}}", "ModelArts.6335", "volume.category"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"duration\":60000}", "ModelArts.6349", "duration"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"lease\":{\"type\":\"sometimes\"}}", "ModelArts.6336",
                        "lease.type"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"workspace_id\":\"NOT-A-WORKSPACE\"}", "ModelArts.6336",
                        "workspace_id"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"feature\":\"GRATIS\"}", "ModelArts.6336", "feature"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"description\":\"\\ud800\"}", "ModelArts.6336",
                        "not valid Unicode"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"description\":\"" + "\uD83C\uDF89".repeat(513) + "\"}",
                        "ModelArts.6336", "at most 512 characters"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"custom_spec\":{\"cpu\":2}}", "ModelArts.6336",
                        "custom_spec: custom resource specifications are not offered"),
                Arguments.of("{\"name\":\"a\"," + ok + ",\"description\":\"x\\u0000y\"}", "ModelArts.6336",
                        "description must not contain a NUL"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badCreates")
    void aBadCreateIsRefusedWithACodeAndAMessageNamingTheField(String body, String code, String message) {
        Response r = api.post("/v1/{project_id}/notebooks", body);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.contentType()).startsWith("application/json");
        assertThat(r.requestId()).isNotBlank();
        assertThat(r.errorCode()).isEqualTo(code);
        assertThat(r.json().get("error_msg").asText()).contains(message);
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aProjectIdOfTheWrongFormIsInvalidAndAnotherProjectsIsForbidden() {
        for (String project : new String[] {"xyz", "team-b", "E9993FC787D94B6C886CBAA340F9C0F4"}) {
            var r = api.get("/v1/" + project + "/notebooks");
            assertThat(r.status()).as(project).isEqualTo(400);
            assertThat(r.errorCode()).as(project).isEqualTo("ModelArts.0210");
        }
        var another = api.get("/v1/e9993fc787d94b6c886cbaa340f9c0f4/notebooks");
        assertThat(another.status()).isEqualTo(403);
        assertThat(another.errorCode()).isEqualTo("ModelArts.0210");
    }

    @Test
    void refusedCreatesLeaveNoInstanceBehind() {
        badCreates().forEach(a -> api.post("/v1/{project_id}/notebooks", (String) a.get()[0]));
        // another test's instance may still be on its way out
        assertThat(api.get("/v1/{project_id}/notebooks?limit=100").json().get("data")).extracting(n -> n.get("status")
                .asText()).allMatch("DELETING"::equals);
    }

    @Test
    void oversizedBodiesAreRefusedWithoutALogLineOfTheirOwn() {
        var root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        var seen = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
        seen.start();
        root.addAppender(seen);
        try {
            String big = "{\"description\":\"" + "x".repeat(1_100_000) + "\"}";
            for (int i = 0; i < 3; i++) {
                Response r = api.send("PUT", "/v1/{project_id}/notebooks/7f1d1f2e-0000-4000-8000-000000000000", big);
                assertThat(r.status()).isEqualTo(413);
            }
        } finally {
            root.detachAppender(seen);
        }
        assertThat(seen.list).as("a client chooses how many; they are summed up with the other malformed requests")
                .noneMatch(e -> e.getLoggerName().startsWith("io.javalin")
                        && e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN));
    }

    @Test
    void aDescriptionIsCountedInCharactersNotInUtf16Units() {
        String party = "\uD83C\uDF89".repeat(300); // 300 characters, 600 UTF-16 units
        Response r = api.post("/v1/{project_id}/notebooks", "{\"name\":\"festive\",\"flavor\":\"modelarts.vm.cpu.2u\","
                + "\"image_id\":\"" + IMAGE + "\",\"description\":\"" + party + "\"," + VOLUME + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("description").asText()).isEqualTo(party);
        api.delete("/v1/{project_id}/notebooks/" + r.json().get("id").asText());
    }

    @Test
    void unknownFieldsAndLowerCaseEnumsAreAccepted() {
        Response r = api.post("/v1/{project_id}/notebooks", "{\"name\":\"tolerant\",\"flavor\":\"modelarts.vm.cpu.2u\","
                + "\"image_id\":\"" + IMAGE + "\",\"feature\":\"notebook\",\"env_variables\":{\"A\":\"b\"},"
                + "\"volume\":{\"category\":\"evs\",\"ownership\":\"managed\",\"capacity\":5}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("volume").get("category").asText()).isEqualTo("EVS");
        api.delete("/v1/{project_id}/notebooks/" + r.json().get("id").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"endpoints\":[{\"service\":\"SSH\",\"key_pair_names\":[\"laptop\"]}]}",
            "{\"endpoints\":[]}", "{\"name\":\"kept\",\"endpoints\":[]}"})
    void anUpdateThatNamesEndpointsSaysTheyAreSetAtCreate(String body) {
        Response r = api.send("PUT", "/v1/{project_id}/notebooks/7f1d1f2e-0000-4000-8000-000000000000", body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("ModelArts.6336");
        assertThat(r.json().get("error_msg").asText()).contains("only be set when the instance is created");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"custom_spec\":{\"cpu\":4,\"memory\":8}}", "{\"hooks\":{}}", "{\"affinity\":{}}",
            "{\"data_volumes\":[]}", "{\"name\":\"x\",\"dew_secret_name\":\"s\"}"})
    void anUpdateOfWhatIsNotOfferedIsRefusedNotIgnored(String body) {
        Response r = api.send("PUT", "/v1/{project_id}/notebooks/7f1d1f2e-0000-4000-8000-000000000000", body);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("ModelArts.6336");
        String field = body.replaceAll(".*\"(custom_spec|hooks|affinity|data_volumes|dew_secret_name)\".*", "$1");
        assertThat(r.json().get("error_msg").asText()).startsWith(field + ": ");
    }

    @Test
    void badListParametersAreRefused() {
        for (String query : new String[] {"limit=0", "limit=abc", "offset=-1", "status=SLEEPING", "owner=a%00b",
                "name=" + "x".repeat(129),
                "limit=%EF%BC%91", "offset=%D9%A3&limit=%D9%A1"}) { // a full-width 1, Arabic-Indic 3 and 1
            Response r = api.get("/v1/{project_id}/notebooks?" + query);
            assertThat(r.status()).as(query).isEqualTo(400);
            assertThat(r.errorCode()).as(query).isEqualTo("ModelArts.0107");
        }
    }

    @Test
    void anUnknownInstanceIsNotFoundTheWayClientsExpect() {
        Response r = api.get("/v1/{project_id}/notebooks/7f1d1f2e-0000-4000-8000-000000000000");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("ModelArts.6404");
        Response d = api.delete("/v1/{project_id}/notebooks/7f1d1f2e-0000-4000-8000-000000000000");
        assertThat(d.status()).isEqualTo(400);
        assertThat(d.errorCode()).isEqualTo("ModelArts.6404");
    }

    @Test
    void unknownRoutesAndMethodsGetJsonErrors() {
        Response route = api.get("/v1/{project_id}/nothing-here");
        assertThat(route.status()).isEqualTo(404);
        assertThat(route.errorCode()).isEqualTo("ModelArts.6404");
        assertThat(route.contentType()).startsWith("application/json");
        Response method = api.send("PATCH", "/v1/{project_id}/notebooks", "{}");
        assertThat(method.status()).isEqualTo(405);
        assertThat(method.contentType()).startsWith("application/json");
        assertThat(method.requestId()).isNotBlank();
    }

    @Test
    void flavorsCarryTheirItemsUnderDataAndFlavorsWithTheTypesTheSdkExpects() {
        Response r = api.get("/v1/{project_id}/notebooks/flavors");
        assertThat(r.status()).isEqualTo(200);
        var body = r.json();
        assertThat(body.get("data")).isEqualTo(body.get("flavors"));
        var f = body.get("data").get(0);
        assertThat(f.get("vcpus").isInt()).isTrue();
        assertThat(f.get("memory").isIntegralNumber()).isTrue();
        assertThat(f.get("evs_max_size").isTextual()).isTrue();
        assertThat(f.get("arch").asText()).isEqualTo("x86_64");
        assertThat(api.get("/v1/{project_id}/notebooks/flavors?category=GPU").json().get("total").asLong()).isZero();
        assertThat(api.get("/v1/{project_id}/notebooks/flavors?category=TPU").status()).isEqualTo(400);
    }

    @Test
    void theImageCatalogueHasTheDebianJupyterImage() {
        var body = api.get("/v1/{project_id}/images").json();
        assertThat(body.get("total").asLong()).isEqualTo(1);
        assertThat(body.get("size").asInt()).isEqualTo(200);
        var image = body.get("data").get(0);
        assertThat(image.get("id").asText()).isEqualTo(IMAGE);
        assertThat(image.get("type").asText()).isEqualTo("BUILD_IN");
        assertThat(image.get("create_at").isIntegralNumber()).isTrue();
    }
}
