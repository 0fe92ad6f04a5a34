package dev.atelier.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atelier.support.ConsoleClient;
import dev.atelier.support.PlainClient;
import dev.atelier.support.SharedServerWithoutNotebooks;
import dev.atelier.support.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The web console over HTTP, as a browser and as an attacker would send it: sessions, CSRF, errors, escaping. */
class ConsoleTest extends SharedServerWithoutNotebooks {

    private static String adminPassword() {
        return server.credentials().get("password").asText();
    }

    private static ConsoleClient signedInAdmin() {
        ConsoleClient c = new ConsoleClient(server.url());
        assertThat(c.signIn("admin", adminPassword()).status()).isEqualTo(303);
        return c;
    }

    @Test
    void aPageWithoutASessionSendsTheBrowserToSignInAndBack() {
        ConsoleClient c = new ConsoleClient(server.url());
        var p = c.get("/console/notebooks?name=x");
        assertThat(p.status()).isEqualTo(303);
        assertThat(p.location()).isEqualTo("/console/sign-in?next=%2Fconsole%2Fnotebooks%3Fname%3Dx");
        assertThat(c.get(p.location()).body()).contains("name=\"next\" value=\"/console/notebooks?name=x\"");
    }

    @Test
    void aBrowserAtTheServersAddressIsSentToTheConsoleAndAnApiClientIsNot() {
        var browser = new ConsoleClient(server.url()).get("/", Map.of("Accept", "text/html,application/xhtml+xml"));
        assertThat(browser.status()).isEqualTo(303);
        assertThat(browser.location()).isEqualTo("/console/");
        var client = PlainClient.anonymous(server.url()).send("GET", "/", null);
        assertThat(client.status()).isEqualTo(404);
        assertThat(client.errorCode()).isEqualTo("ModelArts.6404");
    }

    @Test
    void signingInSetsAnHttpOnlySameSiteCookieScopedToTheConsole() {
        ConsoleClient c = new ConsoleClient(server.url());
        var p = c.signIn("admin", adminPassword());
        assertThat(p.status()).isEqualTo(303);
        assertThat(p.location()).isEqualTo("/console/notebooks");
        assertThat(p.header("Set-Cookie")).startsWith("atelier_console=atl-").contains("; Path=/console",
                "; HttpOnly", "; SameSite=Lax").doesNotContain("Secure");
        var list = c.get("/console/notebooks");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.header("Content-Type")).startsWith("text/html");
        assertThat(list.header("Content-Security-Policy")).contains("script-src 'self'", "frame-ancestors 'none'");
        assertThat(list.header("Cache-Control")).isEqualTo("no-store");
        assertThat(list.body()).contains("<h1>Notebooks</h1>", ">admin</a>");
    }

    @Test
    void behindATlsProxyTheCookieIsSecure() {
        ConsoleClient c = new ConsoleClient(server.url());
        var p = c.post("/console/sign-in", Map.of("user", "admin", "password", adminPassword()), null,
                Map.of("X-Forwarded-Proto", "https"));
        assertThat(p.header("Set-Cookie")).contains("; Secure");
    }

    @Test
    void aWrongPasswordIsAPageThatSaysSoAndNeverEchoesThePassword() {
        ConsoleClient c = new ConsoleClient(server.url());
        var p = c.post("/console/sign-in", Map.of("user", "admin", "password", "not-the-password-42"), null);
        assertThat(p.status()).isEqualTo(401);
        assertThat(p.header("Content-Type")).startsWith("text/html");
        assertThat(p.body()).contains("The user name or password is wrong.", "value=\"admin\"")
                .doesNotContain("not-the-password-42").doesNotContain("error_code");
        assertThat(c.sessionCookie()).isNull();

        var missing = c.post("/console/sign-in", Map.of("user", "admin"), null);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.body()).contains("Enter your user name and your password.").doesNotContain("identity");
    }

    @Test
    void aFormWithoutTheSessionsCsrfTokenChangesNothing() {
        ConsoleClient c = signedInAdmin();
        c.get("/console/keypairs");
        String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@x";
        var none = c.post("/console/keypairs", Map.of("name", "no-token", "public_key", key), null);
        assertThat(none.status()).isEqualTo(403);
        assertThat(none.body()).contains("This form has expired or did not come from this console");
        var wrong = c.post("/console/keypairs", Map.of("name", "wrong-token", "public_key", key,
                "csrf", "AAAA" + c.csrf().substring(4)), null);
        assertThat(wrong.status()).isEqualTo(403);
        var crossSite = c.post("/console/keypairs", Map.of("name", "cross-site", "public_key", key,
                "csrf", c.csrf()), "https://evil.example");
        assertThat(crossSite.status()).isEqualTo(403);
        assertThat(crossSite.body()).contains("sent from another site");
        assertThat(c.get("/console/keypairs").body()).doesNotContain("no-token", "wrong-token", "cross-site");

        var own = c.submit("/console/keypairs", Map.of("name", "laptop", "public_key", key));
        assertThat(own.status()).isEqualTo(303);
        assertThat(c.get("/console/keypairs").body()).contains("laptop", "SHA256:");
    }

    /** What a browser sends with a script's fetch, which no script can change. */
    private static final Map<String, String> SCRIPT_FETCH = Map.of("Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty",
            "Sec-Fetch-Site", "same-origin");

    @Test
    void aScriptOnTheConsolesOriginCannotReadItsPagesNorActThroughThem() {
        // where notebooks share the console's origin, a notebook's script is same-origin: it must not get a
        // page's CSRF token, a notebook's token, or the answer to a form
        String id = api.post("/v1/" + api.projectId() + "/notebooks", TestServer.createBody("fetched")).json()
                .get("id").asText();
        ConsoleClient c = signedInAdmin();
        for (String page : new String[] {"/console/account", "/console/notebooks", "/console/notebooks/" + id,
                "/console/notebooks/" + id + "/open", "/console/admin", "/console/sign-in"}) {
            var p = c.get(page, SCRIPT_FETCH);
            assertThat(p.status()).as(page).isEqualTo(403);
            assertThat(p.body()).as(page).doesNotContain("name=\"csrf\" value=\"" + c.csrf())
                    .contains("Console pages open only in the browser's own window");
        }
        var framed = c.get("/console/account", Map.of("Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "iframe"));
        assertThat(framed.status()).isEqualTo(403);
        var navigated = c.get("/console/account", Map.of("Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"));
        assertThat(navigated.status()).isEqualTo(200);
        assertThat(navigated.header("Cross-Origin-Opener-Policy")).isEqualTo("same-origin");
        String token = c.csrf();
        // the console's own polls may fetch: what they get holds no token
        var card = c.get("/console/notebooks/" + id + "/card", SCRIPT_FETCH);
        assertThat(card.status()).isEqualTo(200);
        assertThat(card.body()).contains("data-status=").doesNotContain(token);
        assertThat(c.get("/console/notebooks/rows", SCRIPT_FETCH).body()).contains("fetched").doesNotContain(token);
        var posted = c.post("/console/account/keys", Map.of("csrf", token), null,
                Map.of("Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"));
        assertThat(posted.status()).isEqualTo(403);
        assertThat(posted.body()).doesNotContain("new-sk");
    }

    @Test
    void aMemberRemovedFromTheProjectNoLongerActsInIt() {
        ConsoleClient admin = signedInAdmin();
        admin.get("/console/admin");
        admin.submit("/console/admin/users", Map.of("name", "leaving", "password", "leaving-pass-1"));
        admin.submit("/console/admin/projects/" + api.projectId() + "/members", Map.of("user", "leaving",
                "role", "member"));
        ConsoleClient member = new ConsoleClient(server.url());
        assertThat(member.signIn("leaving", "leaving-pass-1").status()).isEqualTo(303);
        assertThat(member.get("/console/notebooks").status()).isEqualTo(200);
        String userId = server.identities().user("leaving").orElseThrow().id();
        admin.get("/console/admin");
        assertThat(admin.submit("/console/admin/projects/" + api.projectId() + "/members/" + userId + "/delete",
                Map.of()).status()).isEqualTo(303);
        // removed from the project, the sign-in scoped to it ends: the next form does nothing
        var refused = member.submit("/console/notebooks", Map.of("name", "after-removal", "flavor",
                TestServer.FLAVOR, "image", TestServer.IMAGE_ID, "storage_gb", "5"));
        assertThat(refused.status()).isEqualTo(303);
        assertThat(refused.location()).isEqualTo("/console/sign-in?notice=ended");
        assertThat(api.get("/v1/" + api.projectId() + "/notebooks/all?name=after-removal").json().get("total")
                .asInt()).isZero();
        var again = new ConsoleClient(server.url()).signIn("leaving", "leaving-pass-1");
        assertThat(again.status()).as("and signing in again finds no project").isEqualTo(401);
        assertThat(again.body()).contains("You belong to no project yet.");
    }

    @Test
    void whatIsDoneInTheConsoleIsAuditedInItsProject() {
        ConsoleClient c = signedInAdmin();
        c.get("/console/keypairs");
        c.submit("/console/keypairs", Map.of("name", "audited", "public_key", "not a key"));
        var audit = api.get("/admin/v1/audit?project=" + api.projectId() + "&limit=1000").json();
        assertThat(audit.get("events").toString()).contains("\"path\":\"/console/keypairs\"");

        // a change to another project's members is that project's history; one to a user, nobody's project's
        // (named to sort after "default": a sign-in that names no project takes the first by name)
        String other = api.send("POST", "/admin/v1/projects", "{\"name\":\"zz-audited-elsewhere\"}").json()
                .get("id").asText();
        c.get("/console/admin");
        c.submit("/console/admin/users", Map.of("name", "audited-user", "password", "audited-pass-1"));
        c.submit("/console/admin/projects/" + other + "/members", Map.of("user", "audited-user", "role", "member"));
        java.util.Map<String, String> projectOf = new java.util.HashMap<>();
        api.get("/admin/v1/audit?limit=1000").json().get("events").forEach(e -> projectOf.putIfAbsent(
                e.get("path").asText(), e.path("project_id").asText("none")));
        assertThat(projectOf).containsEntry("/console/admin/projects/" + other + "/members", other)
                .containsEntry("/console/admin/users", "none");
        api.delete("/admin/v1/projects/" + other);
    }

    @Test
    void signingOutEndsTheSessionOnTheServerNotOnlyInTheBrowser() {
        ConsoleClient c = signedInAdmin();
        String token = c.sessionCookie();
        c.get("/console/notebooks");
        var out = c.submit("/console/sign-out", Map.of());
        assertThat(out.location()).isEqualTo("/console/sign-in?notice=signed-out");
        assertThat(c.sessionCookie()).isNull();
        c.setSessionCookie(token); // a copy of the cookie kept elsewhere
        var p = c.get("/console/notebooks");
        assertThat(p.status()).isEqualTo(303);
        assertThat(p.location()).endsWith("notice=ended");
        assertThat(PlainClient.token(server.url(), token).send("GET", "/v1/" + api.projectId() + "/notebooks",
                null).status()).isEqualTo(401);
    }

    @Test
    void afterSigningInOnlyConsolePagesAreFollowed() {
        for (String next : new String[] {"https://evil.example/", "//evil.example/x", "/console/\\evil",
                "/v1/x/notebooks", "/console/sign-out", "/console/../v1/x/notebooks", "/console/./../api-docs/",
                "/console/%2e%2e/v1", "/console/notebooks/..", "/console//evil.example", "/console/a b",
                "/console/notebooks?x=\\evil"}) {
            ConsoleClient c = new ConsoleClient(server.url());
            var p = c.post("/console/sign-in", Map.of("user", "admin", "password", adminPassword(), "next", next),
                    null);
            assertThat(p.location()).as(next).isEqualTo("/console/notebooks");
        }
        ConsoleClient c = new ConsoleClient(server.url());
        var p = c.post("/console/sign-in", Map.of("user", "admin", "password", adminPassword(), "next",
                "/console/notebooks?name=x.y&limit=5"), null);
        assertThat(p.location()).as("a console page with a query is followed").isEqualTo(
                "/console/notebooks?name=x.y&limit=5");
    }

    @Test
    void whatAnyoneTypesIsShownAsTextNeverAsMarkup() {
        // a stranger's sign-in attempt puts the name they typed in the audit log, which administrators read
        PlainClient.signIn(server.url(), "<img src=x onerror=alert(1)>", "whatever-1", "default");
        ConsoleClient c = signedInAdmin();
        assertThat(c.get("/console/admin/audit").body()).contains("&lt;img src=x onerror=alert(1)&gt;")
                .doesNotContain("<img src=x");
        // in an attribute the quote is what could end it: escaped, the rest stays inside the value
        assertThat(c.get("/console/notebooks?name=%22%3E%3Cb%3E").body()).contains("value=\"&#34;>")
                .doesNotContain("value=\"\"><b>");
    }

    @Test
    void unknownPagesAndNotebooksArePagesNotJson() {
        ConsoleClient c = signedInAdmin();
        var nowhere = c.get("/console/no/such/page");
        assertThat(nowhere.status()).isEqualTo(404);
        assertThat(nowhere.header("Content-Type")).startsWith("text/html");
        assertThat(nowhere.body()).contains("There is no such page.");
        var postedNowhere = c.submit("/console/no/such/form", Map.of());
        assertThat(postedNowhere.status()).isEqualTo(404);
        assertThat(postedNowhere.header("Content-Type")).startsWith("text/html");
        var missing = c.get("/console/notebooks/00000000-0000-0000-0000-000000000000");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).contains("does not exist").doesNotContain("\"error_code\"");
        assertThat(c.get("/console/notebooks?status=NOPE&page=-3").status()).isEqualTo(200);
    }

    @Test
    void aRefusedCreateShowsWhyAndKeepsWhatWasTyped() {
        ConsoleClient c = signedInAdmin();
        c.get("/console/notebooks/new");
        var p = c.submit("/console/notebooks", Map.of("name", "too-small", "flavor", TestServer.FLAVOR,
                "image", TestServer.IMAGE_ID, "storage_gb", "1", "auto_stop", "2"));
        assertThat(p.status()).isEqualTo(400);
        assertThat(p.body()).contains("Storage size must be between 5 and", "value=\"too-small\"",
                "<option value=\"2\" selected>");
    }

    @Test
    void tagsAreSetAndRemovedOnANotebooksPage() {
        String id = api.post("/v1/" + api.projectId() + "/notebooks", TestServer.createBody("tagged")).json()
                .get("id").asText();
        ConsoleClient c = signedInAdmin();
        c.get("/console/notebooks/" + id);
        assertThat(c.submit("/console/notebooks/" + id + "/tags", Map.of("key", "team", "value", "vision"))
                .location()).endsWith("notice=tagged");
        assertThat(api.get("/v1/" + api.projectId() + "/notebooks/" + id).body()).contains("\"key\":\"team\"",
                "\"value\":\"vision\"");
        assertThat(c.get("/console/notebooks/" + id).body()).contains("team = vision");
        var bad = c.submit("/console/notebooks/" + id + "/tags", Map.of("key", "<bad>", "value", "x"));
        assertThat(bad.status()).isEqualTo(400);
        c.get("/console/notebooks/" + id);
        c.submit("/console/notebooks/" + id + "/tags/delete", Map.of("key", "team"));
        assertThat(c.get("/console/notebooks/" + id).body()).doesNotContain("team = vision").contains("No tags.");
        c.get("/console/notebooks/" + id);
        assertThat(c.submit("/console/notebooks/" + id + "/tags/delete", Map.of()).status()).isEqualTo(400);
        // object storage is attached to running notebooks only: this one failed to start, so no form
        assertThat(c.get("/console/notebooks/" + id).body()).doesNotContain("obs-uri");
    }

    @Test
    void anAccessKeyMadeInTheConsoleShowsItsSecretOnceAndSignsRequests() {
        ConsoleClient c = signedInAdmin();
        c.get("/console/account");
        var made = c.submit("/console/account/keys", Map.of("description", "from the console"));
        assertThat(made.status()).isEqualTo(201);
        String ak = between(made.body(), "<code id=\"new-ak\">", "</code>");
        String sk = between(made.body(), "<code id=\"new-sk\">", "</code>");
        var signed = new dev.atelier.support.SignedClient(server.url(), api.projectId(), ak, sk);
        assertThat(signed.get("/v1/" + api.projectId() + "/notebooks").status()).isEqualTo(200);
        assertThat(c.get("/console/account").body()).contains(ak, "from the console").doesNotContain(sk);
    }

    @Test
    void aMemberSeesOnlyTheirOwnNotebooksAndNoAdministration() {
        String adminsId = api.post("/v1/" + api.projectId() + "/notebooks", TestServer.createBody("admins-own"))
                .json().get("id").asText();
        ConsoleClient admin = signedInAdmin();
        admin.get("/console/admin");
        assertThat(admin.submit("/console/admin/users", Map.of("name", "member1", "password", "member-pass-123"))
                .status()).isEqualTo(303);
        assertThat(admin.submit("/console/admin/projects/" + api.projectId() + "/members",
                Map.of("user", "member1", "role", "member")).status()).isEqualTo(303);
        assertThat(admin.get("/console/admin").body()).contains("member1 — member");

        ConsoleClient member = new ConsoleClient(server.url());
        assertThat(member.signIn("member1", "member-pass-123").status()).isEqualTo(303);
        String list = member.get("/console/notebooks").body();
        assertThat(list).doesNotContain("admins-own").doesNotContain("Administration").doesNotContain("Audit log");
        assertThat(member.get("/console/notebooks?all=1").body()).doesNotContain("admins-own");
        for (String page : new String[] {"/console/admin", "/console/admin/audit",
                "/console/notebooks/" + adminsId}) {
            var p = member.get(page);
            assertThat(p.status()).as(page).isEqualTo(403);
            assertThat(p.body()).as(page).contains("You may not do this.");
        }
        member.get("/console/notebooks");
        var stop = member.submit("/console/notebooks/" + adminsId + "/delete", Map.of());
        assertThat(stop.status()).isEqualTo(403);
        assertThat(api.get("/v1/" + api.projectId() + "/notebooks/" + adminsId).json().get("status").asText())
                .isNotEqualTo("DELETING");
    }

    @Test
    void aSessionEndsWhenItsSignInExpires(@TempDir Path dir) {
        try (TestServer own = TestServer.of(dir, null, "/nonexistent/jupyter-server")) {
            ConsoleClient c = new ConsoleClient(own.url());
            assertThat(c.signIn("admin", own.credentials().get("password").asText()).status()).isEqualTo(303);
            assertThat(c.get("/console/notebooks").status()).isEqualTo(200);
            // moving to another project does not make the sign-in last longer
            own.clock().advance(Duration.ofHours(12));
            c.get("/console/notebooks");
            var other = own.client().post("/admin/v1/projects", "{\"name\":\"second\"}").json().get("id").asText();
            assertThat(c.submit("/console/project", Map.of("project", other)).location())
                    .isEqualTo("/console/notebooks?notice=switched");
            assertThat(c.get("/console/notebooks").body()).contains("<option value=\"" + other + "\" selected>");
            own.clock().advance(Duration.ofHours(13));
            var p = c.get("/console/notebooks");
            assertThat(p.status()).isEqualTo(303);
            assertThat(p.location()).startsWith("/console/sign-in?next=").endsWith("notice=ended");
        }
    }

    @Test
    void theConsoleLocksOutGuessesAsTheApiDoes(@TempDir Path dir) {
        try (TestServer own = TestServer.withSignInLimits(dir, 3, 100)) {
            ConsoleClient c = new ConsoleClient(own.url());
            for (int i = 0; i < 3; i++) {
                assertThat(c.signIn("admin", "guess-" + i).status()).isEqualTo(401);
            }
            var p = c.signIn("admin", own.credentials().get("password").asText());
            assertThat(p.status()).isEqualTo(429);
            assertThat(p.body()).contains("Too many failed sign-ins.");
            assertThat(p.header("Retry-After")).as("when to try again").matches("[1-9][0-9]*");
        }
    }

    @Test
    void changingThePasswordNeedsTheOldOneAndTakesEffect(@TempDir Path dir) {
        try (TestServer own = TestServer.of(dir, null, "/nonexistent/jupyter-server")) {
            String old = own.credentials().get("password").asText();
            ConsoleClient c = new ConsoleClient(own.url());
            c.signIn("admin", old);
            c.get("/console/account");
            var wrong = c.submit("/console/account/password", Map.of("old_password", "nope-nope-1",
                    "password", "brand-new-pass-1", "confirm", "brand-new-pass-1"));
            assertThat(wrong.status()).isBetween(400, 403);
            var differ = c.submit("/console/account/password", Map.of("old_password", old,
                    "password", "brand-new-pass-1", "confirm", "brand-new-pass-2"));
            assertThat(differ.status()).isEqualTo(400);
            assertThat(differ.body()).contains("The new password and its confirmation differ.");
            assertThat(c.submit("/console/account/password", Map.of("old_password", old,
                    "password", "brand-new-pass-1", "confirm", "brand-new-pass-1")).status()).isEqualTo(303);
            assertThat(new ConsoleClient(own.url()).signIn("admin", "brand-new-pass-1").status()).isEqualTo(303);
            assertThat(new ConsoleClient(own.url()).signIn("admin", old).status()).isEqualTo(401);
        }
    }

    private static String between(String s, String from, String to) {
        int a = s.indexOf(from);
        assertThat(a).as("%s in the page", from).isNotNegative();
        return s.substring(a + from.length(), s.indexOf(to, a + from.length()));
    }
}
