package dev.atelier.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Sign-in tokens, revocation, sign-in limits, the audit log, and secrets kept out of logs and lists. */
class IdentityTest {
    @TempDir
    Path dataDir;

    static String adminPassword(TestServer server) {
        return server.credentials().get("password").asText();
    }

    @Test
    void signingInGivesAProjectScopedTokenThatWorksAsXAuthTokenAndAsBearer() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            String project = server.client().projectId();
            Response signedIn = PlainClient.signIn(server.url(), "admin", adminPassword(server), project);
            assertThat(signedIn.status()).as(signedIn.body()).isEqualTo(201);
            String token = signedIn.subjectToken();
            assertThat(token).isNotBlank();
            JsonNode body = signedIn.json().get("token");
            assertThat(body.get("project").get("id").asText()).isEqualTo(project);
            assertThat(body.get("user").get("name").asText()).isEqualTo("admin");
            assertThat(body.get("expires_at").asText()).endsWith("Z");
            assertThat(signedIn.body()).doesNotContain(token);

            String list = "/v1/" + project + "/notebooks";
            assertThat(PlainClient.token(server.url(), token).send("GET", list, null).status()).isEqualTo(200);
            assertThat(PlainClient.bearer(server.url(), token).send("GET", list, null).status()).isEqualTo(200);
            // by project name too
            assertThat(PlainClient.signIn(server.url(), "admin", adminPassword(server), "default").status())
                    .isEqualTo(201);

            // the token is for its project only, even for a service administrator
            String other = server.client().send("POST", "/admin/v1/projects", "{\"name\":\"other\"}").json()
                    .get("id").asText();
            Response elsewhere = PlainClient.token(server.url(), token).send("GET", "/v1/" + other + "/notebooks",
                    null);
            assertThat(elsewhere.status()).isEqualTo(403);
            assertThat(elsewhere.errorCode()).isEqualTo("ModelArts.0210");

            Response bogus = PlainClient.token(server.url(), "atl-not-a-token").send("GET", list, null);
            assertThat(bogus.status()).isEqualTo(401);
            assertThat(bogus.errorCode()).isEqualTo("ModelArts.0203");
        }
    }

    @Test
    void yourOwnPasswordChangesOnlyWithTheCurrentOneAndATokenActsInItsProjectOnly() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient root = server.client();
            String a = root.projectId();
            String b = root.send("POST", "/admin/v1/projects", "{\"name\":\"b\"}").json().get("id").asText();
            root.send("POST", "/admin/v1/users", "{\"name\":\"ida\",\"password\":\"idas-password\"}");
            root.send("PUT", "/admin/v1/projects/" + a + "/members/ida", "{\"role\":\"admin\"}");
            root.send("PUT", "/admin/v1/projects/" + b + "/members/ida", "{\"role\":\"admin\"}");
            PlainClient ida = PlainClient.token(server.url(),
                    PlainClient.signIn(server.url(), "ida", "idas-password", a).subjectToken());
            PlainClient idaElsewhere = PlainClient.token(server.url(),
                    PlainClient.signIn(server.url(), "ida", "idas-password", a).subjectToken());

            Response noCurrent = ida.send("PUT", "/admin/v1/users/ida", "{\"password\":\"a-new-password\"}");
            assertThat(noCurrent.status()).isEqualTo(403);
            assertThat(noCurrent.json().get("error_msg").asText()).contains("current");
            assertThat(ida.send("PUT", "/admin/v1/users/ida", "{\"password\":\"a-new-password\","
                    + "\"old_password\":\"wrong-password\"}").status()).isEqualTo(403);
            assertThat(ida.send("PUT", "/admin/v1/users/ida", "{\"password\":\"a-new-password\","
                    + "\"old_password\":\"idas-password\"}").status()).isEqualTo(200);
            // the session she changed it in goes on; her others, signed in with the old password, end
            assertThat(ida.send("GET", "/v1/" + a + "/notebooks", null).status()).isEqualTo(200);
            assertThat(idaElsewhere.send("GET", "/v1/" + a + "/notebooks", null).status()).isEqualTo(401);
            // a service administrator sets another user's password without it, and ends all of her sessions
            assertThat(root.send("PUT", "/admin/v1/users/ida", "{\"password\":\"idas-password\"}").status())
                    .isEqualTo(200);
            assertThat(ida.send("GET", "/v1/" + a + "/notebooks", null).status()).isEqualTo(401);
            ida = PlainClient.token(server.url(),
                    PlainClient.signIn(server.url(), "ida", "idas-password", a).subjectToken());

            // ida administers both projects, but her token is for a only
            assertThat(ida.send("GET", "/admin/v1/projects/" + a + "/members", null).status()).isEqualTo(200);
            Response other = ida.send("GET", "/admin/v1/projects/" + b + "/members", null);
            assertThat(other.status()).isEqualTo(403);
            assertThat(ida.send("GET", "/admin/v1/audit?project=" + b, null).status()).isEqualTo(403);
        }
    }

    @Test
    void aProjectKeepsAnAdministratorAndTheServiceKeepsAServiceAdministrator() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient root = server.client();
            String team = root.send("POST", "/admin/v1/projects", "{\"name\":\"team\"}").json().get("id").asText();
            root.send("POST", "/admin/v1/users", "{\"name\":\"bea\",\"password\":\"beas-password\"}");
            root.send("POST", "/admin/v1/users", "{\"name\":\"cal\",\"password\":\"cals-password\"}");
            root.send("PUT", "/admin/v1/projects/" + team + "/members/bea", "{\"role\":\"admin\"}");
            root.send("PUT", "/admin/v1/projects/" + team + "/members/cal", "{\"role\":\"member\"}");
            PlainClient bea = PlainClient.token(server.url(),
                    PlainClient.signIn(server.url(), "bea", "beas-password", team).subjectToken());
            String members = "/admin/v1/projects/" + team + "/members/";

            Response demoted = bea.send("PUT", members + "bea", "{\"role\":\"member\"}");
            assertThat(demoted.status()).isEqualTo(400);
            assertThat(demoted.json().get("error_msg").asText()).contains("last administrator");
            assertThat(bea.send("DELETE", members + "bea", null).status()).isEqualTo(400);
            assertThat(root.send("DELETE", members + "bea", null).status()).as("the service administrator too")
                    .isEqualTo(400);
            assertThat(root.send("DELETE", "/admin/v1/users/bea", null).status()).as("nor by deleting her")
                    .isEqualTo(400);
            assertThat(bea.send("PUT", members + "cal", "{\"role\":\"member\"}").status())
                    .as("another member's role").isEqualTo(200);

            assertThat(bea.send("PUT", members + "cal", "{\"role\":\"admin\"}").status()).isEqualTo(200);
            assertThat(bea.send("PUT", members + "bea", "{\"role\":\"member\"}").status()).isEqualTo(200);
            assertThat(root.send("GET", "/admin/v1/projects/" + team + "/members", null).body())
                    .contains("\"role\":\"admin\"");

            String me = root.send("GET", "/admin/v1/whoami", null).json().get("user_name").asText();
            Response lastRoot = root.send("PUT", "/admin/v1/users/" + me, "{\"enabled\":false}");
            assertThat(lastRoot.status()).isEqualTo(400);
            assertThat(lastRoot.json().get("error_msg").asText()).contains("last enabled service administrator");
        }
    }

    @Test
    void aTokenExpiresAfter24Hours() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            String project = server.client().projectId();
            String token = PlainClient.signIn(server.url(), "admin", adminPassword(server), project).subjectToken();
            PlainClient client = PlainClient.token(server.url(), token);
            String list = "/v1/" + project + "/notebooks";
            server.clock().advance(Duration.ofHours(24).minusSeconds(5));
            assertThat(client.send("GET", list, null).status()).isEqualTo(200);
            server.clock().advance(Duration.ofSeconds(6));
            Response expired = client.send("GET", list, null);
            assertThat(expired.status()).isEqualTo(401);
            assertThat(expired.errorCode()).isEqualTo("ModelArts.0202");
        }
    }

    @Test
    void signInRefusesWrongPasswordsUnknownUsersOtherProjectsAndUnscopedRequests() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            String project = server.client().projectId();
            Response wrong = PlainClient.signIn(server.url(), "admin", "not-the-password", project);
            Response unknown = PlainClient.signIn(server.url(), "nobody", "not-the-password", project);
            assertThat(List.of(wrong.status(), unknown.status())).containsOnly(401);
            assertThat(wrong.errorCode()).isEqualTo("ModelArts.0206").isEqualTo(unknown.errorCode());
            assertThat(wrong.json().get("error_msg")).isEqualTo(unknown.json().get("error_msg"));
            assertThat(wrong.subjectToken()).isNull();

            server.client().send("POST", "/admin/v1/users", "{\"name\":\"carol\",\"password\":\"carols-password\"}");
            Response notMember = PlainClient.signIn(server.url(), "carol", "carols-password", project);
            assertThat(notMember.status()).isEqualTo(401);
            assertThat(notMember.json().get("error_msg").asText()).contains("no role in project");

            Response unscoped = PlainClient.anonymous(server.url()).send("POST", "/v3/auth/tokens",
                    "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\","
                            + "\"password\":\"" + adminPassword(server) + "\"}}}}}");
            assertThat(unscoped.status()).isEqualTo(400);
            assertThat(unscoped.errorCode()).isEqualTo("ModelArts.0204");

            Response notJson = PlainClient.anonymous(server.url()).send("POST", "/v3/auth/tokens", "{nope");
            assertThat(notJson.status()).isEqualTo(400);
            assertThat(notJson.errorCode()).isEqualTo("ModelArts.6400");
        }
    }

    @Test
    void disablingOrDeletingAKeyAndDisablingAUserTakeEffectAtOnce() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient root = server.client();
            String project = root.projectId();
            root.send("POST", "/admin/v1/users", "{\"name\":\"dave\",\"password\":\"daves-password\"}");
            root.send("PUT", "/admin/v1/projects/" + project + "/members/dave", "{\"role\":\"member\"}");
            JsonNode key = root.send("POST", "/admin/v1/users/dave/keys", "{}").json();
            SignedClient dave = new SignedClient(server.url(), project, key.get("access_key").asText(),
                    key.get("secret_key").asText());
            String list = "/v1/{project_id}/notebooks";
            assertThat(dave.get(list).status()).isEqualTo(200);

            String keyPath = "/admin/v1/users/dave/keys/" + key.get("access_key").asText();
            assertThat(root.send("PUT", keyPath, "{\"enabled\":false}").status()).isEqualTo(200);
            Response refused = dave.get(list);
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.errorCode()).isEqualTo("ModelArts.0206");
            assertThat(root.send("PUT", keyPath, "{\"enabled\":true}").status()).isEqualTo(200);
            assertThat(dave.get(list).status()).isEqualTo(200);

            String token = PlainClient.signIn(server.url(), "dave", "daves-password", project).subjectToken();
            PlainClient daveToken = PlainClient.token(server.url(), token);
            assertThat(daveToken.send("GET", "/v1/" + project + "/notebooks", null).status()).isEqualTo(200);
            assertThat(root.send("PUT", "/admin/v1/users/dave", "{\"enabled\":false}").status()).isEqualTo(200);
            assertThat(dave.get(list).status()).isEqualTo(401);
            Response tokenRefused = daveToken.send("GET", "/v1/" + project + "/notebooks", null);
            assertThat(tokenRefused.status()).isEqualTo(401);
            assertThat(tokenRefused.errorCode()).isEqualTo("ModelArts.0203");
            assertThat(PlainClient.signIn(server.url(), "dave", "daves-password", project).status()).isEqualTo(401);

            assertThat(root.send("PUT", "/admin/v1/users/dave", "{\"enabled\":true}").status()).isEqualTo(200);
            assertThat(dave.get(list).status()).as("access keys have a switch of their own").isEqualTo(200);
            assertThat(daveToken.send("GET", "/v1/" + project + "/notebooks", null).status())
                    .as("a session ended by disabling stays ended").isEqualTo(401);
            assertThat(root.send("DELETE", keyPath, null).status()).isEqualTo(200);
            assertThat(dave.get(list).status()).isEqualTo(401);

            // leaving the project ends access to it
            root.send("PUT", "/admin/v1/projects/" + project + "/members/dave", "{\"role\":\"member\"}");
            String token2 = PlainClient.signIn(server.url(), "dave", "daves-password", project).subjectToken();
            assertThat(root.send("DELETE", "/admin/v1/projects/" + project + "/members/dave", null).status())
                    .isEqualTo(200);
            assertThat(PlainClient.token(server.url(), token2).send("GET", "/v1/" + project + "/notebooks", null)
                    .status()).isEqualTo(401);
        }
    }

    @Test
    void wrongPasswordsRefuseThatAccountFromThatAddressOnly() {
        try (TestServer server = TestServer.withSignInLimits(dataDir, 3, 8)) {
            SignedClient root = server.client();
            String project = root.projectId();
            for (String name : List.of("erin", "frank")) {
                root.send("POST", "/admin/v1/users", "{\"name\":\"" + name + "\",\"password\":\"" + name
                        + "-password\"}");
                root.send("PUT", "/admin/v1/projects/" + project + "/members/" + name, "{\"role\":\"member\"}");
            }
            JsonNode key = root.send("POST", "/admin/v1/users/erin/keys", "{}").json();
            SignedClient erinsKey = new SignedClient(server.url(), project, key.get("access_key").asText(),
                    key.get("secret_key").asText());
            PlainClient guesser = PlainClient.anonymous(server.url()).from("127.0.0.2");
            for (int i = 0; i < 3; i++) {
                assertThat(guesser.signIn("erin", "wrong-" + i, project).status()).isEqualTo(401);
            }
            Response locked = guesser.signIn("erin", "erin-password", project);
            assertThat(locked.status()).as("even the right password, from the guessing address").isEqualTo(429);
            assertThat(locked.retryAfter()).isNotNull();
            assertThat(Long.parseLong(locked.retryAfter())).isBetween(1L, 900L);
            assertThat(locked.json().get("error_msg").asText()).contains("too many failed sign-ins");
            // erin herself, from an address that has not been failing, and her access key from anywhere
            assertThat(PlainClient.signIn(server.url(), "erin", "erin-password", project).status()).isEqualTo(201);
            assertThat(erinsKey.get("/v1/{project_id}/notebooks").status()).isEqualTo(200);
            assertThat(erinsKey.from("127.0.0.2").get("/v1/{project_id}/notebooks").status()).isEqualTo(200);
            // another account from the guessing address is not refused by erin's failures
            assertThat(guesser.signIn("frank", "frank-password", project).status()).isEqualTo(201);
        }
    }

    @Test
    void wrongPasswordsFromManyAddressesAtOnceLockNobodyOut() throws Exception {
        try (TestServer server = TestServer.withSignInLimits(dataDir, 3, 8)) {
            SignedClient root = server.client();
            String project = root.projectId();
            root.send("POST", "/admin/v1/users", "{\"name\":\"gina\",\"password\":\"gina-password\"}");
            root.send("PUT", "/admin/v1/projects/" + project + "/members/gina", "{\"role\":\"member\"}");
            JsonNode key = root.send("POST", "/admin/v1/users/gina/keys", "{}").json();
            SignedClient ginasKey = new SignedClient(server.url(), project, key.get("access_key").asText(),
                    key.get("secret_key").asText());
            // 20 addresses guess in parallel, each up to its own limit and past it
            List<Integer> statuses = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (int a = 10; a < 30; a++) {
                    PlainClient from = PlainClient.anonymous(server.url()).from("127.0.0." + a);
                    pool.submit(() -> {
                        for (int i = 0; i < 4; i++) {
                            statuses.add(from.signIn("gina", "guess-" + i, project).status());
                        }
                    });
                }
            }
            assertThat(statuses).hasSize(80).containsOnly(401, 429);
            assertThat(statuses.stream().filter(s -> s == 429).count()).as("each address past its 3 guesses")
                    .isEqualTo(20);
            assertThat(PlainClient.signIn(server.url(), "gina", "gina-password", project).status()).isEqualTo(201);
            assertThat(ginasKey.get("/v1/{project_id}/notebooks").status()).isEqualTo(200);
        }
    }

    @Test
    void forgedSignaturesWithSomeonesAccessKeyThrottleOnlyTheForgingAddress() {
        try (TestServer server = TestServer.withSignInLimits(dataDir, 3, 6)) {
            SignedClient root = server.client();
            // the access key id travels in clear: anyone can send it with a signature that does not hold
            SignedClient forger = root.withSecretKey("forged-secret-key-0000000000000000000000").from("127.0.0.3");
            for (int i = 0; i < 6; i++) {
                assertThat(forger.get("/v1/{project_id}/notebooks").status()).isEqualTo(401);
            }
            Response throttled = forger.get("/v1/{project_id}/notebooks");
            assertThat(throttled.status()).as("the forging address, past its limit").isEqualTo(429);
            assertThat(throttled.retryAfter()).isNotNull();
            assertThat(root.from("127.0.0.3").get("/v1/{project_id}/notebooks").status())
                    .as("everything from that address waits").isEqualTo(429);
            assertThat(root.get("/v1/{project_id}/notebooks").status()).as("the key's owner, elsewhere").isEqualTo(200);
            for (int i = 0; i < 20; i++) {
                assertThat(root.get("/v1/{project_id}/notebooks").status()).isEqualTo(200);
            }
        }
    }

    @Test
    void refusedCallsWithoutASignedInCallerCannotFillTheAuditLog() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient root = server.client();
            String project = root.projectId();
            long before = System.currentTimeMillis();
            PlainClient anonymous = PlainClient.anonymous(server.url());
            for (int i = 0; i < 75; i++) {
                assertThat(anonymous.send("DELETE", "/v1/" + project + "/notebooks/nb-" + i, null).status())
                        .isEqualTo(401);
            }
            root.send("POST", "/admin/v1/users", "{\"name\":\"ivan\"}"); // a signed-in caller: always

            JsonNode events = root.get("/admin/v1/audit?since=" + before + "&limit=1000").json().get("events");
            int refused = 0;
            for (JsonNode e : events) {
                if (e.get("status").asInt() == 401) {
                    refused++;
                }
            }
            assertThat(refused).isEqualTo(60);
            assertThat(events.get(0).get("path").asText()).isEqualTo("/admin/v1/users");
        }
    }

    @Test
    void everyStateChangeIsAuditedWithWhoWhatWhenWhereAndTheResult() {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient root = server.client();
            String project = root.projectId();
            long before = System.currentTimeMillis();
            String id = root.post("/v1/{project_id}/notebooks", TestServer.createBody("audited")).json().get("id")
                    .asText();
            root.delete("/v1/{project_id}/notebooks/" + id);
            root.send("POST", "/admin/v1/users", "{\"name\":\"gina\",\"password\":\"ginas-password\"}");
            root.send("PUT", "/admin/v1/projects/" + project + "/members/gina", "{\"role\":\"member\"}");
            PlainClient.anonymous(server.url()).send("DELETE", "/v1/" + project + "/notebooks/" + id, null);
            PlainClient.signIn(server.url(), "gina", "wrong-password", project);
            String ginaToken = PlainClient.signIn(server.url(), "gina", "ginas-password", project).subjectToken();
            PlainClient.token(server.url(), ginaToken).send("POST", "/admin/v1/projects", "{\"name\":\"nope\"}");
            root.get("/v1/{project_id}/notebooks"); // reads are not audited

            JsonNode events = root.get("/admin/v1/audit?since=" + before).json().get("events");
            List<String> lines = new ArrayList<>();
            events.forEach(e -> lines.add(e.get("method").asText() + " " + e.get("path").asText() + " "
                    + e.get("status").asInt() + " " + e.path("user_name").asText("-") + " "
                    + e.path("error_code").asText("-")));
            String nb = "/v1/" + project + "/notebooks";
            assertThat(lines).containsExactly(
                    "POST /admin/v1/projects 403 gina ModelArts.0108",
                    "POST /v3/auth/tokens 201 gina -",
                    "POST /v3/auth/tokens 401 gina ModelArts.0206",
                    "DELETE " + nb + "/" + id + " 401 - ModelArts.0201",
                    "PUT /admin/v1/projects/" + project + "/members/gina 200 admin -",
                    "POST /admin/v1/users 201 admin -",
                    "DELETE " + nb + "/" + id + " 200 admin -",
                    "POST " + nb + " 200 admin -");
            events.forEach(e -> {
                assertThat(e.get("address").asText()).isEqualTo("127.0.0.1");
                assertThat(e.get("at").asLong()).isGreaterThanOrEqualTo(before);
                assertThat(e.get("request_id").asText()).isNotBlank();
            });
            assertThat(events.get(7).get("project_id").asText()).isEqualTo(project);
            assertThat(events.get(7).get("credential").asText()).isEqualTo(root.accessKey());
            assertThat(events.get(0).get("credential").asText()).isEqualTo("token");

            // a member may not read it; a project administrator reads their projects' entries only
            Response member = PlainClient.token(server.url(), ginaToken).send("GET", "/admin/v1/audit", null);
            assertThat(member.status()).isEqualTo(403);
            root.send("PUT", "/admin/v1/projects/" + project + "/members/gina", "{\"role\":\"admin\"}");
            JsonNode scoped = PlainClient.token(server.url(), ginaToken).send("GET", "/admin/v1/audit", null).json()
                    .get("events");
            assertThat(scoped.size()).isPositive();
            scoped.forEach(e -> assertThat(e.get("project_id").asText()).isEqualTo(project));
            // changes to the project's members are its history too, whether it is named by id or by name
            root.send("PUT", "/admin/v1/projects/default/members/gina", "{\"role\":\"admin\"}");
            List<String> theirs = new ArrayList<>();
            PlainClient.token(server.url(), ginaToken).send("GET", "/admin/v1/audit", null).json().get("events")
                    .forEach(e -> theirs.add(e.get("method").asText() + " " + e.get("path").asText()));
            assertThat(theirs).contains("PUT /admin/v1/projects/" + project + "/members/gina",
                    "PUT /admin/v1/projects/default/members/gina");
        }
    }

    @Test
    void secretsNeverAppearInLogsOrInListResponses() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger access = (Logger) LoggerFactory.getLogger("atelier.access");
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        Level level = root.getLevel();
        root.addAppender(captured);
        access.addAppender(captured);
        root.setLevel(Level.DEBUG);
        List<String> secrets = new ArrayList<>();
        List<String> lists = new ArrayList<>();
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient admin = server.client();
            String project = admin.projectId();
            secrets.add(server.credentials().get("secret_key").asText());
            secrets.add(adminPassword(server));
            admin.send("POST", "/admin/v1/users", "{\"name\":\"hank\",\"password\":\"hanks-secret-password\"}");
            secrets.add("hanks-secret-password");
            admin.send("PUT", "/admin/v1/projects/" + project + "/members/hank", "{\"role\":\"member\"}");
            JsonNode key = admin.send("POST", "/admin/v1/users/hank/keys", "{}").json();
            secrets.add(key.get("secret_key").asText());
            PlainClient.signIn(server.url(), "hank", "a-wrong-password-guess", project);
            secrets.add("a-wrong-password-guess");
            String token = PlainClient.signIn(server.url(), "hank", "hanks-secret-password", project).subjectToken();
            secrets.add(token);
            PlainClient hank = PlainClient.token(server.url(), token);
            JsonNode created = hank.send("POST", "/v1/" + project + "/notebooks",
                    TestServer.createBody("secretive")).json();
            secrets.add(created.get("token").asText());
            admin.send("PUT", "/admin/v1/users/hank", "{\"password\":\"hanks-new-password\"}");
            secrets.add("hanks-new-password");
            PlainClient.token(server.url(), token + "x").send("GET", "/v1/" + project + "/notebooks", null);

            for (String path : List.of("/admin/v1/users", "/admin/v1/users/hank/keys", "/admin/v1/audit",
                    "/admin/v1/projects", "/admin/v1/projects/" + project + "/members",
                    "/v1/" + project + "/notebooks/all", "/v1/" + project + "/notebooks",
                    "/v1/" + project + "/demanager/instances?de_type=Notebook&show_self=false")) {
                Response r = admin.get(path);
                assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
                lists.add(r.body());
            }
            lists.add(hank.send("GET", "/v1/" + project + "/notebooks", null).body());
        } finally {
            root.detachAppender(captured);
            access.detachAppender(captured);
            root.setLevel(level);
        }
        List<String> logged = new ArrayList<>();
        for (ILoggingEvent e : captured.list) {
            logged.add(e.getFormattedMessage());
            if (e.getThrowableProxy() != null) {
                logged.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
            }
        }
        assertThat(logged).as("something was logged").isNotEmpty();
        assertThat(secrets).hasSize(8).doesNotContainNull();
        for (String secret : secrets) {
            assertThat(logged).as("logs").noneMatch(l -> l.contains(secret));
            assertThat(lists).as("list responses").noneMatch(l -> l.contains(secret));
        }
        assertThat(lists).noneMatch(l -> l.contains("pbkdf2") || l.contains("secret_key") || l.contains("sealed"));
    }
}
