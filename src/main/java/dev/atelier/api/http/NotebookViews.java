package dev.atelier.api.http;

import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.Pool;
import dev.atelier.core.port.InstanceReads;
import dev.atelier.core.service.ImageService;
import dev.atelier.core.service.Pools;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * An instance as v1 shows it, with what it is shown with: its image, SSH endpoint, place in a queue and public
 * address. The v1 routes and the console both show this one view, so that they cannot tell a user different things.
 */
public final class NotebookViews {
    private final ImageService images;
    private final InstanceReads reads;
    private final Pools pools;
    private final Function<Instance, String> publicUrl;
    private final Function<String, String> sshUri;
    private final Clock clock;

    /**
     * {@code publicUrl} gives the address clients reach a running instance's notebook at (the gateway's);
     * {@code sshUri} an instance's SSH address, or null when the server has no SSH gateway.
     */
    public NotebookViews(ImageService images, InstanceReads reads, Pools pools, Function<Instance, String> publicUrl,
                         Function<String, String> sshUri, Clock clock) {
        this.images = images;
        this.reads = reads;
        this.pools = pools;
        this.publicUrl = publicUrl;
        this.sshUri = sshUri;
        this.clock = clock;
    }

    /** Whether this server offers SSH into instances. */
    public boolean sshEnabled() {
        return sshUri.apply("x") != null;
    }

    public Views.NotebookResp of(Instance i) {
        return of(sourcesOf(i));
    }

    /** A page of instances, read together (one read for the page, not one per instance); without their tokens. */
    public List<Views.NotebookResp> listed(List<Instance> page) {
        return sourcesOf(page).stream().map(s -> of(s).withoutToken()).toList();
    }

    /**
     * What an instance's view is made from. The view is a function of these alone, so equal sources give an equal
     * view: a client polling an unchanged instance is answered from what was written for these sources last
     * ({@link RenderedJson}), and the instance and its details, the same objects while they are unchanged in the
     * read cache, are compared by reference first.
     */
    public record Sources(Instance instance, InstanceReads.Details details, Image image, Pool pool, String publicUrl,
                          String queued) {
        public String id() {
            return instance.id();
        }
    }

    public Sources sourcesOf(Instance i) {
        return sourcesOf(i, reads.details(i.id()));
    }

    public List<Sources> sourcesOf(List<Instance> page) {
        var details = reads.details(page.stream().map(Instance::id).toList());
        return page.stream().map(i -> sourcesOf(i, details.get(i.id()))).toList();
    }

    private Sources sourcesOf(Instance i, InstanceReads.Details details) {
        return new Sources(i, details == null ? InstanceReads.Details.NONE : details,
                images.find(i.imageId()).orElse(null), i.poolId() == null ? null : pools.find(i.poolId()).orElse(null),
                publicUrl.apply(i), pools.place(i).map(p -> p.message(clock.millis())).orElse(null));
    }

    public Views.NotebookResp of(Sources s) {
        Instance i = s.instance();
        List<Object> endpoints = s.details().ssh().<List<Object>>map(e -> {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("service", "SSH");
            m.put("dev_service", "SSH");
            m.put("uri", sshUri.apply(i.id()));
            m.put("key_pair_names", e.keyPairNames());
            m.put("ssh_keys", e.keyPairNames());
            m.put("allowed_access_ips", e.allowedAccessIps());
            return List.of(m);
        }).orElse(List.of());
        return Views.notebook(i.withRuntime(i.runtimeState(), s.publicUrl()), s.image(), s.details().tags(),
                s.details().mounts(), endpoints, s.pool(), s.queued());
    }
}
