package dev.atelier.api.http.console;

import dev.atelier.api.http.Views;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceEvent;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.Progress;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import dev.atelier.core.service.CreateInstance;
import dev.atelier.core.service.InstanceService;
import dev.atelier.core.service.Transitions.Operation;
import dev.atelier.core.service.UpdateInstance;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/** The notebooks: the list, a notebook's page with its live status, the create form, and what can be done to one. */
final class NotebookPages {
    static final int PAGE_SIZE = 20;
    private static final String BASE = ConsoleRoutes.PREFIX + "/notebooks";
    private static final List<Long> AUTO_STOP_HOURS = List.of(1L, 2L, 4L, 8L, 12L, 24L, 72L);

    private final ConsoleServices services;
    private final Pages pages;
    private final NotebookExtras extras;

    NotebookPages(ConsoleServices services, Pages pages) {
        this.services = services;
        this.pages = pages;
        this.extras = new NotebookExtras(services, this::authorized);
    }

    void register(RoutesConfig routes, Function<ConsoleRoutes.SignedIn, io.javalin.http.Handler> page,
                  Function<ConsoleRoutes.SignedIn, io.javalin.http.Handler> fragment) {
        extras.register(routes, page);
        routes.get(BASE, page.apply(this::list));
        routes.get(BASE + "/rows", fragment.apply((ctx, s) -> pages.render(ctx, 200, "notebookRows",
                Map.of("list", listing(ctx, s)))));
        routes.get(BASE + "/new", page.apply((ctx, s) -> createForm(ctx, s, 200, null)));
        routes.post(BASE, page.apply(this::create));
        routes.get(BASE + "/{id}", page.apply(this::show));
        routes.get(BASE + "/{id}/card", fragment.apply((ctx, s) -> {
            Instance i;
            try {
                i = authorized(ctx, s);
            } catch (AtelierException gone) { // deleted meanwhile (in another tab): to the list, and no more polls
                ctx.header("HX-Redirect", BASE);
                ctx.status(200);
                return;
            }
            Models.Detail d = detail(s, i, false);
            if (!d.live()) { // settled: the whole page again, for what else changed with it (events, SSH, forms)
                ctx.header("HX-Redirect", BASE + "/" + d.nb().id());
            }
            pages.render(ctx, 200, "notebookCard", Map.of("d", d, "shell", pages.shell(ctx, s, "", "notebooks")
                    .withoutCsrf()));
        }));
        routes.get(BASE + "/{id}/open", page.apply(this::open));
        routes.post(BASE + "/{id}/start", page.apply((ctx, s) -> {
            services.instances().start(s.caller(), s.projectId(), authorized(ctx, s).id(), null, null);
            Pages.redirect(ctx, BASE + "/" + ctx.pathParam("id"), "started");
        }));
        routes.post(BASE + "/{id}/stop", page.apply((ctx, s) -> {
            services.instances().stop(s.caller(), s.projectId(), authorized(ctx, s).id());
            Pages.redirect(ctx, BASE + "/" + ctx.pathParam("id"), "stopping");
        }));
        routes.post(BASE + "/{id}/renew", page.apply((ctx, s) -> {
            services.instances().renewLease(s.caller(), s.projectId(), authorized(ctx, s).id(),
                    hours(ctx.formParam("hours")), null);
            Pages.redirect(ctx, BASE + "/" + ctx.pathParam("id"), "renewed");
        }));
        routes.get(BASE + "/{id}/delete", page.apply((ctx, s) -> {
            Instance i = authorized(ctx, s);
            pages.render(ctx, 200, "notebookDelete", Map.of("shell", pages.shell(ctx, s, "Delete " + i.name(),
                    "notebooks"), "id", i.id(), "name", i.name()));
        }));
        routes.post(BASE + "/{id}/delete", page.apply((ctx, s) -> {
            services.instances().delete(s.caller(), s.projectId(), authorized(ctx, s).id());
            Pages.redirect(ctx, BASE, "deleting");
        }));
        routes.post(BASE + "/{id}/change", page.apply((ctx, s) -> {
            Instance i = authorized(ctx, s);
            String size = blankToNull(ctx.formParam("storage_gb"));
            String flavor = blankToNull(ctx.formParam("flavor"));
            services.instances().update(s.caller(), s.projectId(), i.id(), UpdateInstance.of()
                    .flavor(flavor == null || flavor.equals(i.flavorId()) ? null : flavor)
                    .storageNewSizeGb(size == null || Integer.parseInt(number(size, "New storage size"))
                            == i.volume().capacityGb() ? null : Integer.parseInt(size))
                    .build());
            Pages.redirect(ctx, BASE + "/" + i.id(), "updated");
        }));
        routes.post(BASE + "/{id}/image", page.apply((ctx, s) -> {
            Instance i = authorized(ctx, s);
            services.instances().saveImage(s.caller(), s.projectId(), i.id(), blankToNull(ctx.formParam("name")),
                    null, blankToNull(ctx.formParam("tag")), blankToNull(ctx.formParam("description")), null);
            Pages.redirect(ctx, BASE + "/" + i.id(), "saving");
        }));
    }

    private void list(Context ctx, Session s) {
        pages.render(ctx, 200, "notebooks", Map.of("shell", pages.shell(ctx, s, "Notebooks", "notebooks"),
                "list", listing(ctx, s)));
    }

    /** The page of the list the query asks for; the caller's own notebooks, or (for administrators) all. */
    private Models.NotebookList listing(Context ctx, Session s) {
        String name = blankToNull(ctx.queryParam("name"));
        InstanceStatus wanted = InstanceStatus.parse(blankToNull(ctx.queryParam("status")));
        String status = wanted == null ? null : wanted.name();
        boolean all = "1".equals(ctx.queryParam("all")) && s.projectAdmin();
        int page = Math.max(1, Math.min(intOr(ctx.queryParam("page"), 1), 100_000));
        InstanceQuery.Builder q = InstanceQuery.in(s.projectId()).nameContains(name)
                .page((page - 1) * PAGE_SIZE, PAGE_SIZE);
        if (wanted != null) {
            q.statuses(List.of(wanted));
        }
        var found = services.instances().list(s.caller(), s.projectId(),
                all ? InstanceService.Scope.PROJECT : InstanceService.Scope.OWN, q);
        long now = services.clock().millis();
        Map<String, String> owners = all ? services.identity().userNames(found.items().stream()
                .map(Instance::ownerId).toList()) : Map.of();
        List<Models.Row> rows = new ArrayList<>();
        boolean live = false;
        for (Views.NotebookResp nb : services.views().listed(found.items())) {
            live |= Format.badge(nb.status()).equals("busy");
            String owner = all ? owners.getOrDefault(nb.userId(), "(removed)") : null;
            rows.add(new Models.Row(nb.id(), nb.name(), nb.status(), Format.badge(nb.status()), nb.flavor(),
                    nb.image() == null ? "" : nb.image().name() + ":" + nb.image().tag(), Format.when(nb.createAt()),
                    leaseLeft(nb, now), owner, nb.failReason()));
        }
        int pages = (int) Math.max(1, (found.total() + PAGE_SIZE - 1) / PAGE_SIZE);
        StringBuilder query = new StringBuilder();
        if (name != null) {
            query.append("&name=").append(java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8));
        }
        if (status != null) {
            query.append("&status=").append(status);
        }
        if (all) {
            query.append("&all=1");
        }
        List<Shell.Choice> statuses = new ArrayList<>();
        statuses.add(new Shell.Choice("", "Any status", status == null));
        for (InstanceStatus st : InstanceStatus.values()) {
            if (st != InstanceStatus.DELETED) {
                statuses.add(new Shell.Choice(st.name(), Format.status(st.name()), st.name().equals(status)));
            }
        }
        return new Models.NotebookList(rows, name == null ? "" : name, status == null ? "" : status, all, page,
                pages, found.total(), live, query.toString(), statuses);
    }

    private void show(Context ctx, Session s) {
        Instance i = authorized(ctx, s);
        pages.render(ctx, 200, "notebook", Map.of("shell", pages.shell(ctx, s, i.name(), "notebooks"),
                "d", detail(s, i, true)));
    }

    /** The notebook in the address, if the caller may see it (its owner, or an administrator of its project). */
    private Instance authorized(Context ctx, Session s) {
        String id = ctx.pathParam("id");
        return services.instances().authorize(s.caller(), s.projectId(), id).orElseGet(() -> {
            Instance i = services.instances().show(s.projectId(), id); // not in the read model yet: the store's
            s.caller().requireOwnerOrAdministrator(s.projectId(), i.ownerId(), "instance " + id);
            return i;
        });
    }

    private Models.Detail detail(Session s, Instance i, boolean withEvents) {
        Views.NotebookResp nb = services.views().of(i);
        InstanceStatus st = i.status();
        List<Models.Step> steps = new ArrayList<>();
        for (Views.JobProgress p : nb.actionProgress()) {
            steps.add(new Models.Step(p.step(), p.description(), p.status()));
        }
        steps.sort(java.util.Comparator.comparingInt(Models.Step::step));
        String sshUri = null;
        String command = null;
        String config = null;
        if (!nb.endpoints().isEmpty() && nb.endpoints().get(0) instanceof Map<?, ?> e && e.get("uri") != null) {
            sshUri = e.get("uri").toString();
            java.net.URI u = java.net.URI.create(sshUri);
            String user = u.getUserInfo() == null ? "ma-user" : u.getUserInfo();
            command = "ssh -p " + u.getPort() + " " + user + "@" + u.getHost();
            config = "Host atelier-" + i.name() + "\n  HostName " + u.getHost() + "\n  Port " + u.getPort()
                    + "\n  User " + user + "\n  IdentityFile ~/.ssh/id_ed25519";
        }
        List<Models.Event> events = new ArrayList<>();
        if (withEvents) {
            for (InstanceEvent e : services.events().page(s.projectId(), i.id(), 0, 20).items()) {
                events.add(new Models.Event(Format.when(e.at()), e.kind().name().toLowerCase(Locale.ROOT)
                        .replace('_', ' '), e.actorName() == null ? e.actor().name().toLowerCase(Locale.ROOT)
                        : e.actorName(), e.status() == null ? "" : e.status().name(),
                        e.message() == null ? "" : e.message()));
            }
        }
        List<Shell.Choice> flavors = new ArrayList<>();
        if (Operation.UPDATE_SPEC.allowedIn(st)) {
            for (Flavor f : services.instances().switchableFlavors(s.projectId(), i.id())) {
                flavors.add(new Shell.Choice(f.id(), f.id() + " (" + f.vcpus() + " vCPUs, " + f.memoryMib() / 1024
                        + " GiB)", f.id().equals(i.flavorId())));
            }
        }
        var can = new Models.Actions(st == InstanceStatus.RUNNING && nb.url() != null, Operation.START.allowedIn(st),
                Operation.STOP.allowedIn(st) || Operation.STOP_WAITING.allowedIn(st), Operation.DELETE.allowedIn(st),
                Operation.RENEW_LEASE.allowedIn(st) && nb.lease() != null && nb.lease().enable(),
                Operation.CREATE_IMAGE.allowedIn(st), Operation.UPDATE_SPEC.allowedIn(st),
                Operation.ATTACH_STORAGE.allowedIn(st));
        return new Models.Detail(nb, Format.badge(nb.status()), Format.when(nb.createAt()),
                leaseLeft(nb, services.clock().millis()), steps, nb.failReason(), st.isTransitional(), can, sshUri,
                command, config, nb.image() == null ? "" : nb.image().swrPath(), events, flavors,
                withEvents ? extras.mounts(s, i) : List.of());
    }

    private static String leaseLeft(Views.NotebookResp nb, long now) {
        if (!"RUNNING".equals(nb.status()) || nb.lease() == null || !nb.lease().enable()) {
            return "";
        }
        return Format.duration(Math.max(0, nb.lease().createAt() + nb.lease().duration() - now));
    }

    /** Opens the notebook: to its address with its token, which the gateway trades for a cookie. */
    private void open(Context ctx, Session s) {
        Views.NotebookResp nb = services.views().of(authorized(ctx, s));
        if (!"RUNNING".equals(nb.status()) || nb.url() == null) {
            throw new AtelierException(ErrorCode.NOT_RUNNING, "The notebook is not running: start it first.");
        }
        ctx.header("Referrer-Policy", "no-referrer");
        ctx.header("Cache-Control", "no-store");
        ctx.redirect(nb.url() + "?token=" + nb.token(), io.javalin.http.HttpStatus.SEE_OTHER);
    }

    private void create(Context ctx, Session s) {
        try {
            String name = blankToNull(ctx.formParam("name"));
            Integer storage = blankToNull(ctx.formParam("storage_gb")) == null ? null
                    : Integer.valueOf(number(ctx.formParam("storage_gb"), "Storage size"));
            Long duration = hours(ctx.formParam("auto_stop"));
            var ssh = (dev.atelier.core.port.KeyPairStore.SshEndpoint) null;
            List<String> keys = ctx.formParams("key_pairs").stream().filter(k -> !k.isBlank()).toList();
            if (!keys.isEmpty()) {
                if (!services.views().sshEnabled()) {
                    throw new AtelierException(ErrorCode.INVALID_VALUE, "SSH access is not enabled on this server");
                }
                String ips = blankToNull(ctx.formParam("allowed_ips"));
                ssh = services.ssh().check(s.projectId(), keys, ips == null ? List.of()
                        : Arrays.stream(ips.split("[,\\s]+")).filter(x -> !x.isBlank()).toList());
            }
            Instance created = services.instances().create(s.caller(), s.projectId(), new CreateInstance(name,
                    blankToNull(ctx.formParam("description")), null, blankToNull(ctx.formParam("flavor")),
                    blankToNull(ctx.formParam("image")), null, true, "EVS", "MANAGED", storage, duration,
                    duration == null ? null : "TIMING", null, ssh, false));
            Pages.redirect(ctx, BASE + "/" + created.id(), "created");
        } catch (AtelierException e) {
            createForm(ctx, s, Messages.refused(ctx, e), Messages.of(e));
        }
    }

    private void createForm(Context ctx, Session s, int status, String error) {
        boolean posted = "POST".equals(ctx.method().name());
        String chosenFlavor = posted ? ctx.formParam("flavor") : null;
        String chosenImage = posted ? ctx.formParam("image") : null;
        Map<String, List<Models.FlavorOption>> groups = new LinkedHashMap<>();
        for (Flavor f : services.catalog().flavors()) {
            Flavor sold = services.pools().asSoldIn(null, f);
            String group = switch (f.category().toUpperCase(Locale.ROOT)) {
                case "GPU" -> "GPU";
                case "ASCEND" -> "Ascend";
                default -> "CPU";
            };
            String label = f.id() + " — " + f.vcpus() + " vCPUs, " + f.memoryMib() / 1024 + " GiB"
                    + (f.gpu() != null ? ", " + f.gpu().count() + "× " + f.gpu().type() : "")
                    + (f.ascend() != null ? ", " + f.ascend().npu() + "× " + f.ascend().type() : "")
                    + (sold.soldOut() ? " (sold out)" : "");
            groups.computeIfAbsent(group, g -> new ArrayList<>()).add(new Models.FlavorOption(f.id(), label,
                    sold.soldOut(), f.id().equals(chosenFlavor)));
        }
        List<Models.FlavorGroup> flavorGroups = groups.entrySet().stream()
                .map(e -> new Models.FlavorGroup(e.getKey(), e.getValue())).toList();
        List<Shell.Choice> images = services.images().visible(s.projectId()).stream()
                .map(m -> new Shell.Choice(m.id(), m.name() + ":" + m.tag() + (m.description() == null
                        || m.description().isBlank() ? "" : " — " + m.description()), m.id().equals(chosenImage)))
                .toList();
        List<String> chosenKeys = posted ? ctx.formParams("key_pairs") : List.of();
        List<Shell.Choice> keyPairs = services.views().sshEnabled()
                ? services.ssh().list(s.caller(), s.projectId()).stream()
                .map(k -> new Shell.Choice(k.name(), k.name() + " (" + k.fingerprint() + ")",
                        chosenKeys.contains(k.name()))).toList() : List.of();
        String autoStop = posted ? ctx.formParam("auto_stop") : "1";
        List<Shell.Choice> autoStops = new ArrayList<>();
        for (long h : AUTO_STOP_HOURS) {
            autoStops.add(new Shell.Choice(Long.toString(h), h == 1 ? "after 1 hour" : "after " + h + " hours",
                    Long.toString(h).equals(autoStop)));
        }
        autoStops.add(new Shell.Choice("never", "never", "never".equals(autoStop)));
        int storage = 5;
        if (posted) {
            try {
                storage = dev.atelier.core.AsciiNumbers.parseInt(ctx.formParam("storage_gb"));
            } catch (NumberFormatException e) {
                storage = 5;
            }
        }
        var form = new Models.CreateForm(flavorGroups, images, keyPairs, services.views().sshEnabled(), autoStops,
                posted ? Messages.value(ctx.formParam("name")) : "",
                posted ? Messages.value(ctx.formParam("description")) : "",
                storage, posted ? Messages.value(ctx.formParam("allowed_ips")) : "");
        Shell shell = pages.shell(ctx, s, "New notebook", "notebooks");
        pages.render(ctx, status, "notebookNew", Map.of("shell", error == null ? shell : shell.withError(error),
                "form", form));
    }

    /** Hours from a form as milliseconds; "never" as -1 (no auto stop); blank as null (the default). */
    private static Long hours(String v) {
        if (v == null || v.isBlank()) {
            return null;
        }
        if (v.equals("never")) {
            return -1L;
        }
        return Long.parseLong(number(v, "Auto stop")) * 3_600_000L;
    }

    private static String number(String v, String field) {
        String t = v == null ? "" : v.trim();
        if (!t.matches("[0-9]{1,6}")) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, field + " must be a whole number, 0 or more (digits "
                    + "only)");
        }
        return t;
    }

    private static int intOr(String v, int otherwise) {
        try {
            return v == null ? otherwise : dev.atelier.core.AsciiNumbers.parseInt(v);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

}
