package dev.atelier.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.atelier.support.Jupyter;
import dev.atelier.support.SignedClient;
import dev.atelier.support.TestServer;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The console in Debian's headless Chromium, driven through its own chromedriver, against a server running real
 * Jupyter: what a person does, click by click. A screenshot of each main page is kept in
 * {@code target/console-screenshots/}.
 */
class ConsoleBrowserTest {
    static final Path SHOTS = Path.of("target/console-screenshots");

    @TempDir
    Path dataDir;
    private final List<ChromeDriver> browsers = new ArrayList<>();

    @BeforeEach
    void needsChromium() throws Exception {
        assertThat(Path.of("/usr/bin/chromedriver")).as("Debian's chromium-driver (installed by .ci/run)")
                .isExecutable();
        Files.createDirectories(SHOTS);
    }

    @AfterEach
    void closeBrowsers() {
        browsers.forEach(WebDriver::quit);
    }

    private ChromeDriver browser() {
        var options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900");
        var service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .build();
        ChromeDriver b = new ChromeDriver(service, options);
        browsers.add(b);
        return b;
    }

    /**
     * Keeps a screenshot of the page, after checking what a screen reader and a keyboard need of it: every field
     * has a label, every image a text, every button a name, and the page a title and one h1.
     */
    private static void shoot(ChromeDriver b, String name) throws Exception {
        Object unlabelled = b.executeScript("return [...document.querySelectorAll("
                + "'input:not([type=hidden]), select, textarea')].filter(e => !(e.labels && e.labels.length)"
                + " && !e.getAttribute('aria-label')).map(e => e.name || e.id)"
                + ".concat([...document.querySelectorAll('img:not([alt])')].map(e => 'img ' + e.src))"
                + ".concat([...document.querySelectorAll('button')].filter(e => !e.textContent.trim()"
                + " && !e.getAttribute('aria-label')).map(e => 'button'))");
        if (b.getCurrentUrl().contains("/console/")) { // not the notebook's own pages
            assertThat((List<?>) unlabelled).as("fields without a label on " + name).isEmpty();
            assertThat(b.getTitle()).as(name).endsWith("· Atelier");
            assertThat(b.findElements(By.tagName("h1"))).as("one h1 on " + name).hasSize(1);
        }
        Files.write(SHOTS.resolve(name + ".png"), b.getScreenshotAs(OutputType.BYTES));
    }

    private static void signIn(ChromeDriver b, TestServer server, String user, String password) {
        b.get(server.url() + "/console/");
        b.findElement(By.id("user")).sendKeys(user);
        b.findElement(By.id("password")).sendKeys(password);
        b.findElement(By.cssSelector("button[type=submit]")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> b.getCurrentUrl().contains("/console/notebooks"));
    }

    /**
     * Waits for the page a form led to, by the message it shows: a click that submits returns before the next page
     * is there, and what is found meanwhile is still on the page before.
     */
    private static void awaitNotice(ChromeDriver b, String notice) {
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> b.findElements(By.cssSelector(".notice"))
                .stream().anyMatch(e -> e.getText().equals(notice)));
    }

    /** Picks an option of a select, as a person clicks it. */
    private static void choose(ChromeDriver b, String select, String value) {
        b.findElement(By.id(select)).click();
        b.findElement(By.cssSelector("#" + select + " option[value='" + value + "']")).click();
    }

    private static String status(ChromeDriver b) {
        return b.findElement(By.cssSelector("#card .badge")).getAttribute("data-status");
    }

    private static void awaitStatus(ChromeDriver b, String wanted) {
        // the page updates itself (htmx polls the status card): no reload here
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> status(b).equals(wanted));
    }

    @Test
    void aUserCreatesRunsStopsStartsAndDeletesANotebookInTheBrowser() throws Exception {
        try (TestServer server = TestServer.sqlite(dataDir)) {
            SignedClient api = server.client();
            ChromeDriver b = browser();
            b.get(server.url() + "/console/");
            assertThat(b.getCurrentUrl()).contains("/console/sign-in");
            shoot(b, "01-sign-in");
            signIn(b, server, "admin", server.credentials().get("password").asText());
            shoot(b, "02-notebooks-empty");

            assertThat(api.post("/v3/{project_id}/keypairs", "{\"keypair\":{\"name\":\"laptop\",\"public_key\":"
                    + "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl t@x\"}}")
                    .status()).isEqualTo(200);
            b.findElement(By.linkText("New notebook")).click();
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> b.findElement(By.id("create-button")).isDisplayed());
            b.findElement(By.id("name")).sendKeys("from-the-browser");
            b.findElement(By.cssSelector("input[name=key_pairs][value=laptop]")).click();
            choose(b, "flavor", TestServer.FLAVOR);
            choose(b, "image", TestServer.IMAGE_ID);
            choose(b, "auto-stop", "2");
            shoot(b, "03-create");
            long pressed = System.nanoTime();
            b.findElement(By.id("create-button")).click();
            await().atMost(Duration.ofSeconds(10)).until(() -> b.getCurrentUrl().matches(".*/console/notebooks/[0-9a-f-]{36}.*"));
            String id = b.getCurrentUrl().replaceAll(".*/console/notebooks/([0-9a-f-]{36}).*", "$1");
            awaitNotice(b, "The notebook is being created.");
            awaitStatus(b, "RUNNING");
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> b.findElement(By.id("open")).isDisplayed());
            long usable = System.nanoTime();
            System.out.printf("console: Create pressed to an Open button on a running notebook: %d ms%n",
                    (usable - pressed) / 1_000_000);
            assertThat(b.findElement(By.cssSelector(".status-line")).getText()).contains("stops automatically in 1 h");
            shoot(b, "04-notebook-running");
            assertThat(b.findElement(By.id("ssh-command")).getText()).startsWith("ssh -p " + server.sshPort() + " ")
                    .contains("@127.0.0.1");
            assertThat(b.findElement(By.id("ssh-config")).getText()).contains("Host atelier-from-the-browser",
                    "Port " + server.sshPort());

            // open: a new tab on the notebook, through the gateway, with no token to copy
            String console = b.getWindowHandle();
            b.findElement(By.id("open")).click();
            await().atMost(Duration.ofSeconds(10)).until(() -> b.getWindowHandles().size() == 2);
            b.switchTo().window(b.getWindowHandles().stream().filter(h -> !h.equals(console)).findFirst()
                    .orElseThrow());
            await().atMost(Duration.ofSeconds(30)).until(() -> b.getCurrentUrl().contains("/tree"));
            assertThat(b.getCurrentUrl()).doesNotContain("token=");
            var shown = api.get("/v1/{project_id}/notebooks/" + id).json();
            String tree = shown.get("url").asText();
            String notebook = new Jupyter(tree, shown.get("token").asText()).newNotebook();
            b.get(tree.replaceFirst("tree$", "notebooks/" + notebook));
            await().atMost(Duration.ofSeconds(60)).until(() -> Boolean.TRUE.equals(b.executeScript(
                    "return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
                            + " && Jupyter.notebook.kernel.is_connected())")));
            b.executeScript("var c = Jupyter.notebook.get_cell(0); c.set_text('print(6 * 7)');"
                    + " Jupyter.notebook.execute_cells([0]);");
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> b.findElement(
                    By.cssSelector(".output_area pre")).getText().trim().equals("42"));
            shoot(b, "05-jupyter-cell-ran");
            b.close();
            b.switchTo().window(console);

            // object storage attached while it runs, and a tag
            Files.createDirectories(server.dataDir().resolve("obs/team-data/datasets"));
            b.findElement(By.id("obs-uri")).sendKeys("obs://team-data/datasets/");
            b.findElement(By.id("obs-path")).sendKeys("/data/datasets/");
            b.findElement(By.xpath("//button[text()='Attach']")).click();
            awaitNotice(b, "The storage is being attached.");
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                b.navigate().refresh();
                return b.findElement(By.id("mounts")).getText().contains("mounted");
            });
            b.findElement(By.id("tag-key")).sendKeys("team");
            b.findElement(By.id("tag-value")).sendKeys("vision");
            b.findElement(By.xpath("//button[text()='Set tag']")).click();
            awaitNotice(b, "The tag was set.");
            assertThat(b.findElement(By.id("tags")).getText()).contains("team = vision");
            shoot(b, "05b-notebook-storage-and-tags");

            b.findElement(By.id("stop")).click();
            awaitNotice(b, "The notebook is stopping.");
            awaitStatus(b, "STOPPED");
            shoot(b, "06-notebook-stopped");
            var storage = b.findElement(By.id("change-storage"));
            storage.clear();
            storage.sendKeys("6");
            b.findElement(By.xpath("//button[text()='Save changes']")).click();
            awaitNotice(b, "The notebook was changed.");
            b.findElement(By.id("start")).click();
            awaitStatus(b, "RUNNING");
            assertThat(api.get("/v1/{project_id}/notebooks/" + id).json().path("volume").path("capacity").asInt())
                    .as("the new size").isEqualTo(6);
            b.findElement(By.id("image-name")).sendKeys("console-env");
            b.findElement(By.xpath("//button[text()='Save image']")).click();
            awaitNotice(b, "The image is being saved from the notebook.");
            await().atMost(Duration.ofSeconds(120)).until(() -> api.get("/v1/{project_id}/images?name=console-env")
                    .body().contains("\"status\":\"ACTIVE\""));
            awaitStatus(b, "RUNNING");
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> b.findElements(By.cssSelector("#events tbody tr")).size() >= 4);
            String events = b.findElement(By.id("events")).getText();
            assertThat(events).contains("created", "stop requested", "start requested");

            b.findElement(By.id("delete")).click();
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> b.findElement(By.id("confirm-delete")).isDisplayed());
            shoot(b, "07-delete-confirm");
            assertThat(b.findElement(By.tagName("h1")).getText()).isEqualTo("Delete from-the-browser?");
            b.findElement(By.id("confirm-delete")).click();
            awaitNotice(b, "The notebook is being deleted.");
            assertThat(b.getCurrentUrl()).contains("/console/notebooks?notice=deleting");
            await().atMost(Duration.ofSeconds(60)).until(() -> api.get("/v1/{project_id}/notebooks/" + id)
                    .status() != 200);
        }
    }

    @Test
    void everyMainPageRendersAndAMemberReachesOnlyTheirs() throws Exception {
        try (TestServer server = TestServer.of(dataDir, null, "/nonexistent/jupyter-server")) {
            SignedClient api = server.client();
            for (int i = 0; i < 3; i++) {
                api.post("/v1/{project_id}/notebooks", TestServer.createBody("admins-" + i));
            }
            ChromeDriver b = browser();
            signIn(b, server, "admin", server.credentials().get("password").asText());
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> b.findElements(
                    By.cssSelector("#rows .badge.busy")).isEmpty()); // the list updates itself until all settle
            assertThat(b.findElements(By.cssSelector("#rows tr"))).hasSize(3);
            shoot(b, "10-notebooks");
            b.manage().window().setSize(new Dimension(820, 1180));
            shoot(b, "11-notebooks-tablet");
            b.manage().window().setSize(new Dimension(1280, 900));

            b.get(server.url() + "/console/images");
            assertThat(b.findElement(By.id("images")).getText()).contains("jupyter");
            assertThat(b.findElement(By.id("groups")).getText()).contains("debian-jupyter");
            shoot(b, "12-images");
            b.get(server.url() + "/console/keypairs");
            shoot(b, "13-keypairs");
            b.get(server.url() + "/console/account");
            b.findElement(By.id("key-description")).sendKeys("laptop");
            b.findElement(By.xpath("//button[text()='Create access key']")).click();
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> b.findElement(By.id("new-sk")).getText().length() == 40);
            shoot(b, "14-account-new-key");

            b.get(server.url() + "/console/admin");
            b.findElement(By.id("new-user")).sendKeys("member2");
            b.findElement(By.id("new-user-password")).sendKeys("member-pass-456");
            b.findElement(By.xpath("//button[text()='Create user']")).click();
            awaitNotice(b, "The user was created.");
            b.findElement(By.cssSelector("input[name=user]")).sendKeys("member2");
            b.findElement(By.xpath("//button[text()='Add or change']")).click();
            awaitNotice(b, "The member was added or changed.");
            assertThat(b.findElement(By.id("pools")).getText()).contains("pool-managed", "0 instances");
            assertThat(b.findElement(By.id("flavors")).getText()).contains("None in use.");
            assertThat(b.findElement(By.id("users")).getText()).contains(api.accessKey(), "member2");
            shoot(b, "15-admin");
            b.get(server.url() + "/console/admin/audit");
            assertThat(b.findElement(By.id("audit")).getText()).contains("POST /console/admin/users");
            shoot(b, "16-audit");

            // the member signs in with the keyboard alone: the user field has the focus, Tab moves on, Enter sends
            ChromeDriver m = browser();
            m.get(server.url() + "/console/");
            m.switchTo().activeElement().sendKeys("member2", org.openqa.selenium.Keys.TAB, "member-pass-456",
                    org.openqa.selenium.Keys.ENTER);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.getCurrentUrl().endsWith("/console/notebooks"));
            assertThat(m.findElement(By.id("rows")).getText()).doesNotContain("admins-")
                    .contains("No notebooks here yet.");
            assertThat(m.findElements(By.linkText("Administration"))).isEmpty();
            m.get(server.url() + "/console/admin");
            assertThat(m.findElement(By.cssSelector(".error")).getText()).startsWith("You may not do this.");
            shoot(m, "17-member-refused-admin");

            // a session that ends (here: signed out elsewhere) sends the browser to sign in, saying why
            b.findElement(By.xpath("//button[text()='Sign out']")).click();
            awaitNotice(b, "You have signed out.");
            b.get(server.url() + "/console/notebooks");
            assertThat(b.getCurrentUrl()).contains("/console/sign-in");
        }
    }
}
