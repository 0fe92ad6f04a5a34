package dev.atelier.security;

import dev.atelier.core.model.Feature;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SignedClient;
import dev.atelier.support.SignedClient.Response;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import dev.atelier.core.model.DesiredState;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Lease;
import dev.atelier.core.model.LeaseType;
import dev.atelier.core.model.Progress;
import dev.atelier.core.model.Volume;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route × every kind of caller, with the exact status and error code each must get. Instances are those
 * of a server without notebook servers (their launch fails at once): authorization does not depend on whether a
 * notebook runs, and a fresh instance is made for every call that may change or delete one.
 */
class AuthorizationMatrixTest {
    @TempDir
    static Path dataDir;
    static TestServer server;
    static SignedClient root;
    static String projectA;
    static String projectB;
    static final Map<Kind, Object> CLIENTS = new LinkedHashMap<>();
    static String ownerName = "owner";
    static final AtomicInteger SEQ = new AtomicInteger();

    enum Kind { NO_CREDENTIALS, BAD_SIGNATURE, STALE_DATE, EXPIRED_TOKEN, OTHER_PROJECT, OTHER_USER, MEMBER,
        PROJECT_ADMIN, SERVICE_ADMIN }

    /** Who may call a route. */
    enum Need {
        PROJECT,        // any member of the path's project
        INSTANCE,       // the instance's owner, or an administrator of its project
        IMAGE_ADMIN,    // an administrator of the project
        ANY_USER,       // anyone authenticated
        SERVICE_ADMIN,  // the service administrator only
        PROJECT_A_ADMIN, // an administrator of project A (admin API)
        SELF            // the user named in the path (the owner), or the service administrator
    }

    record Route(String method, String path, String body, Need need, int okStatus, String okCode) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    static final String CREATE = TestServer.createBody("matrix");
    static final String LEGACY_CREATE = "{\"name\":\"{uniq}\",\"profile_id\":\"Python3\","
            + "\"flavor\":\"modelarts.vm.cpu.2u\",\"spec\":{\"storage\":{\"type\":\"evs\","
            + "\"location\":{\"volume_size\":5}}}}";

    static final List<Route> ROUTES = List.of(
            new Route("GET", "/v1/{p}/notebooks/flavors", null, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/notebooks/tags", null, Need.PROJECT, 200, null),
            new Route("POST", "/v1/{p}/notebooks", CREATE, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/notebooks", null, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/notebooks/all", null, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/authoring/features/NOTEBOOK", null, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/notebooks/{id}", null, Need.INSTANCE, 200, null),
            new Route("PUT", "/v1/{p}/notebooks/{id}", "{\"description\":\"changed\"}", Need.INSTANCE, 200, null),
            new Route("DELETE", "/v1/{p}/notebooks/{id}", null, Need.INSTANCE, 200, null),
            new Route("POST", "/v1/{p}/notebooks/{id}/start", null, Need.INSTANCE, 200, null),
            new Route("POST", "/v1/{p}/notebooks/{id}/stop", null, Need.INSTANCE, 400, "ModelArts.6357"),
            new Route("GET", "/v1/{p}/notebooks/{id}/events", null, Need.INSTANCE, 200, null),
            new Route("GET", "/v1/{p}/notebooks/{id}/lease", null, Need.INSTANCE, 200, null),
            new Route("PATCH", "/v1/{p}/notebooks/{id}/lease", "{\"duration\":7200000}", Need.INSTANCE, 400,
                    "ModelArts.6327"),
            new Route("GET", "/v1/{p}/notebooks/{id}/flavors", null, Need.INSTANCE, 200, null),
            new Route("POST", "/v1/{p}/notebooks/{id}/tags/create", "{\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}",
                    Need.INSTANCE, 204, null),
            new Route("DELETE", "/v1/{p}/notebooks/{id}/tags/delete", "{\"tags\":[{\"key\":\"k\"}]}",
                    Need.INSTANCE, 204, null),
            new Route("POST", "/v1/{p}/notebooks/{id}/create-image", "{\"name\":\"img\",\"namespace\":\"ns\","
                    + "\"tag\":\"v1\"}", Need.INSTANCE, 400, "ModelArts.6327"),
            new Route("POST", "/v1/{p}/notebooks/{id}/storage", "{\"category\":\"OBS\",\"mount_path\":"
                    + "\"/data/d/\",\"uri\":\"obs://bucket/d/\"}", Need.INSTANCE, 400, "ModelArts.6327"),
            new Route("GET", "/v1/{p}/notebooks/{id}/storage", null, Need.INSTANCE, 200, null),
            new Route("GET", "/v1/{p}/notebooks/{id}/storage/0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b", null,
                    Need.INSTANCE, 400, "ModelArts.6404"),
            new Route("DELETE", "/v1/{p}/notebooks/{id}/storage/0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b", null,
                    Need.INSTANCE, 400, "ModelArts.6404"),
            new Route("GET", "/v1/{p}/images/group", null, Need.PROJECT, 200, null),
            new Route("PUT", "/v1/{p}/images/group/nogroup", "{\"read_me\":\"x\"}", Need.IMAGE_ADMIN, 400,
                    "ModelArts.6404"),
            new Route("DELETE", "/v1/{p}/images/group/nogroup", null, Need.IMAGE_ADMIN, 400, "ModelArts.6404"),
            new Route("GET", "/v1/{p}/images", null, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/images/0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c", null, Need.PROJECT, 400,
                    "ModelArts.6404"),
            new Route("DELETE", "/v1/{p}/images/0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c", null, Need.IMAGE_ADMIN, 400,
                    "ModelArts.6404"),
            new Route("POST", "/v1/{p}/images/0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c/sync", null, Need.IMAGE_ADMIN,
                    400, "ModelArts.6404"),
            new Route("POST", "/v1/{p}/demanager/instances", LEGACY_CREATE, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/demanager/instances?de_type=Notebook", null, Need.PROJECT, 200, null),
            new Route("GET", "/v1/{p}/demanager/instances/{lid}", null, Need.INSTANCE, 200, null),
            new Route("PUT", "/v1/{p}/demanager/instances/{lid}", "{\"description\":\"changed\"}", Need.INSTANCE,
                    200, null),
            new Route("DELETE", "/v1/{p}/demanager/instances/{lid}", null, Need.INSTANCE, 200, null),
            new Route("POST", "/v1/{p}/demanager/instances/{lid}/action", "{\"action\":\"start\"}", Need.INSTANCE,
                    200, null),
            new Route("GET", "/v1/{p}/demanager/instances/{lid}/token", null, Need.INSTANCE, 200, null),
            new Route("GET", "/v3/{p}/keypairs", null, Need.PROJECT, 200, null),
            new Route("POST", "/v3/{p}/keypairs", "{\"keypair\":{\"name\":\"{uniq}\",\"public_key\":\"{pubkey}\"}}",
                    Need.PROJECT, 200, null),
            new Route("GET", "/v3/{p}/keypairs/{keypair}", null, Need.PROJECT, 200, null),
            new Route("DELETE", "/v3/{p}/keypairs/{keypair}", null, Need.INSTANCE, 204, null),
            new Route("GET", "/admin/v1/whoami", null, Need.ANY_USER, 200, null),
            new Route("GET", "/admin/v1/users", null, Need.SERVICE_ADMIN, 200, null),
            new Route("POST", "/admin/v1/users", "{\"name\":\"{uniq}\",\"password\":\"a-long-password\"}",
                    Need.SERVICE_ADMIN, 201, null),
            new Route("GET", "/admin/v1/users/owner", null, Need.SELF, 200, null),
            new Route("PUT", "/admin/v1/users/{victim}", "{\"enabled\":false}", Need.SERVICE_ADMIN, 200, null),
            new Route("PUT", "/admin/v1/users/owner", "{\"password\":\"another-long-password\",\"old_password\":\"pw-owner-12345\"}", Need.SELF, 200,
                    null),
            new Route("DELETE", "/admin/v1/users/{victim}", null, Need.SERVICE_ADMIN, 200, null),
            new Route("GET", "/admin/v1/users/owner/keys", null, Need.SELF, 200, null),
            new Route("POST", "/admin/v1/users/owner/keys", "{\"description\":\"matrix\"}", Need.SELF, 201, null),
            new Route("PUT", "/admin/v1/users/owner/keys/{ownerkey}", "{\"enabled\":true}", Need.SELF, 200, null),
            new Route("DELETE", "/admin/v1/users/owner/keys/{spare}", null, Need.SELF, 200, null),
            new Route("GET", "/admin/v1/projects", null, Need.ANY_USER, 200, null),
            new Route("POST", "/admin/v1/projects", "{\"name\":\"{uniq}\"}", Need.SERVICE_ADMIN, 201, null),
            new Route("GET", "/admin/v1/projects/{p}", null, Need.PROJECT, 200, null),
            new Route("DELETE", "/admin/v1/projects/{emptyproject}", null, Need.SERVICE_ADMIN, 200, null),
            new Route("GET", "/admin/v1/projects/{p}/members", null, Need.PROJECT_A_ADMIN, 200, null),
            new Route("PUT", "/admin/v1/projects/{p}/members/{victim}", "{\"role\":\"member\"}",
                    Need.PROJECT_A_ADMIN, 200, null),
            new Route("DELETE", "/admin/v1/projects/{p}/members/{memberA}", null, Need.PROJECT_A_ADMIN, 200, null),
            new Route("GET", "/admin/v1/audit?project={p}", null, Need.PROJECT_A_ADMIN, 200, null));

    static String ownerAccessKey;
    static String ownerId;

    @BeforeAll
    static void people() {
        // no lockouts: this test makes many failed calls from one address on purpose
        server = TestServer.withSignInLimits(dataDir, 1_000_000, 1_000_000);
        root = server.client();
        projectA = root.projectId();
        projectB = root.send("POST", "/admin/v1/projects", "{\"name\":\"team-b\"}").json().get("id").asText();
        SignedClient owner = user("owner", projectA, "member");
        ownerAccessKey = owner.accessKey();
        CLIENTS.put(Kind.MEMBER, owner);
        CLIENTS.put(Kind.OTHER_USER, user("other", projectA, "member"));
        CLIENTS.put(Kind.PROJECT_ADMIN, user("padmin", projectA, "admin"));
        CLIENTS.put(Kind.OTHER_PROJECT, user("outsider", projectB, "admin"));
        assertThat(root.send("POST", "/admin/v1/users", "{\"name\":\"root2\",\"service_admin\":true}").status())
                .isEqualTo(201);
        CLIENTS.put(Kind.SERVICE_ADMIN, key("root2", projectA));
        CLIENTS.put(Kind.BAD_SIGNATURE, owner.withSecretKey("not-the-secret-key-at-all-000000000000000"));
        CLIENTS.put(Kind.STALE_DATE, owner);
        CLIENTS.put(Kind.NO_CREDENTIALS, PlainClient.anonymous(server.url()));
        // a token of the owner's that expired a minute ago
        String token = "atl-expired-" + SEQ.incrementAndGet();
        ownerId = server.identities().user("owner").orElseThrow().id();
        long now = server.clock().millis();
        server.identities().createToken(Authenticator.tokenHash(token), ownerId, projectA, now - 86_460_000L,
                now - 60_000L);
        CLIENTS.put(Kind.EXPIRED_TOKEN, PlainClient.token(server.url(), token));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static SignedClient user(String name, String project, String role) {
        assertThat(root.send("POST", "/admin/v1/users", "{\"name\":\"" + name + "\",\"password\":\"pw-" + name
                + "-12345\"}").status()).isEqualTo(201);
        assertThat(root.send("PUT", "/admin/v1/projects/" + project + "/members/" + name,
                "{\"role\":\"" + role + "\"}").status()).isEqualTo(200);
        return key(name, project);
    }

    static SignedClient key(String name, String project) {
        JsonNode k = root.send("POST", "/admin/v1/users/" + name + "/keys", "{}").json();
        return new SignedClient(server.url(), project, k.get("access_key").asText(), k.get("secret_key").asText());
    }

    /** Fills in a route's placeholders, making what it needs: a fresh instance, user, key or project. */
    static String fill(String s, boolean fresh) {
        if (s == null) {
            return null;
        }
        String out = s.replace("{p}", projectA);
        if (!fresh) { // a refused call or a read: nothing is made for it
            out = out.replace("{id}", shared()).replace("{lid}", "DE-" + shared()).replace("{victim}", "nobody")
                    .replace("{memberA}", "nobody").replace("{spare}", "AKNOSUCHKEY")
                    .replace("{emptyproject}", "noproject");
        }
        if (out.contains("{id}") || out.contains("{lid}")) {
            String id = stoppedInstance();
            out = out.replace("{id}", id).replace("{lid}", "DE-" + id);
        }
        if (out.contains("{pubkey}")) {
            out = out.replace("{pubkey}", publicKey());
        }
        if (out.contains("{keypair}")) {
            // the owner's, made for this call (a refused one gets the shared one)
            String name = fresh || sharedKeyPair == null ? "kp" + SEQ.incrementAndGet() : sharedKeyPair;
            if (!name.equals(sharedKeyPair)) {
                Response made = ((SignedClient) CLIENTS.get(Kind.MEMBER)).send("POST", "/v3/" + projectA
                        + "/keypairs", "{\"keypair\":{\"name\":\"" + name + "\",\"public_key\":\"" + publicKey()
                        + "\"}}");
                assertThat(made.status()).as(made.body()).isEqualTo(200);
                if (!fresh) {
                    sharedKeyPair = name;
                }
            }
            out = out.replace("{keypair}", name);
        }
        if (out.contains("{uniq}")) {
            out = out.replace("{uniq}", "u" + SEQ.incrementAndGet());
        }
        if (out.contains("{victim}")) {
            String name = "victim" + SEQ.incrementAndGet();
            assertThat(root.send("POST", "/admin/v1/users", "{\"name\":\"" + name + "\"}").status()).isEqualTo(201);
            out = out.replace("{victim}", name);
        }
        if (out.contains("{memberA}")) {
            String name = "member" + SEQ.incrementAndGet();
            user(name, projectA, "member");
            out = out.replace("{memberA}", name);
        }
        if (out.contains("{ownerkey}")) {
            out = out.replace("{ownerkey}", ownerAccessKey);
        }
        if (out.contains("{spare}")) {
            out = out.replace("{spare}", root.send("POST", "/admin/v1/users/owner/keys", "{}").json()
                    .get("access_key").asText());
        }
        if (out.contains("{emptyproject}")) {
            out = out.replace("{emptyproject}", root.send("POST", "/admin/v1/projects", "{\"name\":\"empty"
                    + SEQ.incrementAndGet() + "\"}").json().get("id").asText());
        }
        return out;
    }

    static String sharedInstance;
    static String sharedKeyPair;

    /** A well-formed Ed25519 public key line (random key material: only its form is checked). */
    static String publicKey() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 11 + 4 + 32);
        b.putInt(11).put("ssh-ed25519".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(32);
        byte[] key = new byte[32];
        new java.util.Random(SEQ.incrementAndGet()).nextBytes(key);
        b.put(key);
        return "ssh-ed25519 " + java.util.Base64.getEncoder().encodeToString(b.array());
    }

    /** The instance of calls that change nothing (or are refused). */
    static String shared() {
        if (sharedInstance == null) {
            sharedInstance = stoppedInstance();
        }
        return sharedInstance;
    }

    /** A STOPPED instance of the owner's, put in the store: a state no background work moves it out of. */
    static String stoppedInstance() {
        String id = UUID.randomUUID().toString();
        long at = server.clock().millis();
        server.store().insert(new Instance(new Instance.Metadata(id, projectA, ownerId, "0", Feature.NOTEBOOK, at,
                at, 1),
                new Instance.Spec("fixture" + SEQ.incrementAndGet(), "", TestServer.FLAVOR, TestServer.IMAGE_ID,
                        new Volume("EVS", "MANAGED", 5), Lease.requested(at, null, LeaseType.TIMING),
                        DesiredState.STOPPED),
                new Instance.Observed(InstanceStatus.STOPPED, Progress.waiting(), null, "t", null, Map.of())));
        return id;
    }

    record Expected(int status, String code) {
    }

    static Expected expected(Route r, Kind k) {
        Expected ok = new Expected(r.okStatus(), r.okCode());
        Expected forbidden = new Expected(403, "ModelArts.0108");
        Expected otherProject = new Expected(403, "ModelArts.0210");
        switch (k) {
            case NO_CREDENTIALS:
                return new Expected(401, "ModelArts.0201");
            case BAD_SIGNATURE:
                return new Expected(401, "ModelArts.0208");
            case STALE_DATE:
                return new Expected(401, "ModelArts.0207");
            case EXPIRED_TOKEN:
                return new Expected(401, "ModelArts.0202");
            default:
                break;
        }
        return switch (r.need()) {
            case PROJECT -> k == Kind.OTHER_PROJECT ? otherProject : ok;
            case INSTANCE -> k == Kind.OTHER_PROJECT ? otherProject
                    : k == Kind.OTHER_USER ? forbidden : ok;
            case IMAGE_ADMIN -> k == Kind.OTHER_PROJECT ? otherProject
                    : k == Kind.PROJECT_ADMIN || k == Kind.SERVICE_ADMIN ? ok : forbidden;
            case ANY_USER -> ok;
            case SERVICE_ADMIN -> k == Kind.SERVICE_ADMIN ? ok : forbidden;
            case PROJECT_A_ADMIN -> k == Kind.PROJECT_ADMIN || k == Kind.SERVICE_ADMIN ? ok : forbidden;
            case SELF -> k == Kind.MEMBER || k == Kind.SERVICE_ADMIN ? ok : forbidden;
        };
    }

    static Response call(Kind k, Route r) {
        // a call that may change or delete its instance gets one of its own
        boolean fresh = !r.method().equals("GET") && expected(r, k).status() == r.okStatus();
        String path = fill(r.path(), fresh);
        String body = fill(r.body(), fresh);
        Object client = CLIENTS.get(k);
        if (k == Kind.STALE_DATE) {
            return ((SignedClient) client).sendDated(r.method(), path, "20200101T000000Z");
        }
        if (client instanceof PlainClient plain) {
            return plain.send(r.method(), path, body);
        }
        return ((SignedClient) client).send(r.method(), path, body);
    }

    @Test
    void aProjectsPathsAreClosedToOutsidersBeforeAnyHandlerRunsEvenWhereNoRouteIsSet() {
        SignedClient outsider = CLIENTS.get(Kind.OTHER_PROJECT) instanceof SignedClient c ? c : null;
        assertThat(outsider).isNotNull();
        for (String path : List.of("/v1/" + projectA + "/no-such-route", "/v3/" + projectA + "/no-such-route",
                "/v1/" + projectA + "/notebooks/flavors")) {
            Response r = outsider.send("GET", path, null);
            assertThat(r.status()).as(path).isEqualTo(403);
            assertThat(r.errorCode()).as(path).isEqualTo("ModelArts.0210");
        }
        // in one's own project an unknown route is just that
        assertThat(root.get("/v1/" + projectA + "/no-such-route").status()).isEqualTo(404);
    }

    @Test
    void everyRouteAnswersEveryKindOfCallerWithTheExactStatusAndCode() {
        List<String> wrong = new ArrayList<>();
        int cells = 0;
        for (Route r : ROUTES) {
            for (Kind k : Kind.values()) {
                Expected want = expected(r, k);
                Response got = call(k, r);
                cells++;
                String code = got.status() >= 400 ? got.errorCode() : null;
                if (got.status() != want.status() || (want.code() != null && !want.code().equals(code))) {
                    wrong.add(r + " as " + k + ": expected " + want.status() + " " + want.code() + ", got "
                            + got.status() + " " + got.body());
                }
            }
        }
        assertThat(wrong).as("cells that answered wrongly").isEmpty();
        assertThat(cells).isEqualTo(ROUTES.size() * Kind.values().length);
    }
}
