package dev.atelier.api.http;

import dev.atelier.core.model.Image;
import dev.atelier.core.model.Instance;
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
        return of(i, reads.details(List.of(i.id())).get(i.id()));
    }

    /** A page of instances, read together (one read for the page, not one per instance); without their tokens. */
    public List<Views.NotebookResp> listed(List<Instance> page) {
        var details = reads.details(page.stream().map(Instance::id).toList());
        return page.stream().map(i -> of(i, details.get(i.id())).withoutToken()).toList();
    }

    private Views.NotebookResp of(Instance i, InstanceReads.Details details) {
        Image image = images.find(i.imageId()).orElse(null);
        List<Object> endpoints = details.ssh().<List<Object>>map(e -> {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("service", "SSH");
            m.put("dev_service", "SSH");
            m.put("uri", sshUri.apply(i.id()));
            m.put("key_pair_names", e.keyPairNames());
            m.put("ssh_keys", e.keyPairNames());
            m.put("allowed_access_ips", e.allowedAccessIps());
            return List.of(m);
        }).orElse(List.of());
        String queued = pools.place(i).map(p -> p.message(clock.millis())).orElse(null);
        return Views.notebook(i.withRuntime(i.runtimeState(), publicUrl.apply(i)), image, details.tags(),
                details.mounts(), endpoints, i.poolId() == null ? null : pools.find(i.poolId()).orElse(null), queued);
    }
}
