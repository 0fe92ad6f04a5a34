package dev.atelier.runtime.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge networks instances' containers are on, inter-container traffic off on each, so that no instance can
 * reach another's address.
 *
 * <p>Where the kernel passes bridged traffic through iptables (bridge netfilter on, as {@code
 * net.bridge.bridge-nf-call-iptables = 1} says) and the engine is this host's, the engine's rule that drops traffic
 * between containers of one bridge holds, and all instances of the installation share one network, made once. A
 * launch then waits for no network (making one took the engine 84 ms, and removing it 176 ms at each stop, with
 * ten at once made one after the other), and the host is not limited to the engine's few dozen address pools.
 * Elsewhere that rule would not be applied, and each instance gets a network of its own, as before.
 */
final class InstanceNetworks {
    private static final Logger log = LoggerFactory.getLogger(InstanceNetworks.class);
    static final Path BRIDGE_NETFILTER = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
    private static final Map<String, String> NO_ICC = Map.of("com.docker.network.bridge.enable_icc", "false");

    private final DockerEngine engine;
    private final boolean shared;
    /** The shared network's id, once made or found. */
    private volatile String made;

    InstanceNetworks(DockerEngine engine) {
        this(engine, sharingIsolates(engine.host(), BRIDGE_NETFILTER));
    }

    InstanceNetworks(DockerEngine engine, boolean shared) {
        this.engine = engine;
        this.shared = shared;
    }

    /**
     * Whether containers on one bridge with inter-container traffic off are kept apart: the engine runs on this
     * host (its bridges are in this kernel) and the kernel filters bridged traffic.
     */
    static boolean sharingIsolates(String engineHost, Path bridgeNetfilter) {
        if (engineHost == null || !engineHost.startsWith("unix://")) {
            return false;
        }
        try {
            return Files.readString(bridgeNetfilter).strip().equals("1");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /** What the operator is told. */
    String describe() {
        return shared ? "one bridge network for the installation's instances, traffic between them dropped (bridge "
                + "netfilter on)" : "a bridge network per instance";
    }

    boolean shared() {
        return shared;
    }

    /** The network the instance's container is to be on, made if it is not there. */
    String ensure(String instanceId) {
        if (!shared) {
            return make(engine.nameOf(instanceId), Map.of(DockerEngine.INSTALLATION_LABEL, engine.installation(),
                    DockerEngine.INSTANCE_LABEL, instanceId));
        }
        String id = made;
        return id != null ? id : sharedNetwork();
    }

    /**
     * The shared network's id, made if there is none. The engine's check for a second network of one name is not
     * atomic: two launches at once (of this server, or of another replica on the host) can both make one. So it is
     * made once per server, and whichever of several was made first is the one: every replica picks the same,
     * and the others go while nothing is on them.
     */
    private synchronized String sharedNetwork() {
        if (made != null) {
            return made;
        }
        List<Network> found = named(sharedName());
        if (found.isEmpty()) {
            // labelled with the installation only: no instance's, so never taken for one or removed with one
            make(sharedName(), Map.of(DockerEngine.INSTALLATION_LABEL, engine.installation()));
            found = named(sharedName());
        }
        if (found.isEmpty()) {
            throw engine.failure("cannot make the instances' network",
                    new IllegalStateException("it was made, and is not there"));
        }
        Network first = found.get(0);
        for (Network extra : found.subList(1, found.size())) {
            try {
                engine.client().removeNetworkCmd(extra.getId()).exec();
            } catch (RuntimeException e) {
                log.debug("a second instances' network stays for now: {}", DockerEngine.rootMessage(e));
            }
        }
        made = first.getId();
        return made;
    }

    /** This installation's networks of exactly that name, the first made first (then by id: one order for all). */
    private List<Network> named(String name) {
        return engine.client().listNetworksCmd().withNameFilter(name)
                .withFilter("label", List.of(DockerEngine.INSTALLATION_LABEL + "=" + engine.installation())).exec()
                .stream().filter(n -> name.equals(n.getName()))
                .sorted(java.util.Comparator.comparing((Network n) -> n.getCreated() == null ? new java.util.Date(0)
                        : n.getCreated()).thenComparing(Network::getId)).toList();
    }

    /** Forgets the shared network (removed outside Atelier, say): the next {@link #ensure} makes it again. */
    void forget() {
        made = null;
    }

    String sharedName() {
        return "atelier-" + engine.installation() + "-instances";
    }

    private String make(String name, Map<String, String> labels) {
        try {
            // one request: the engine refuses a second network of the name (it is there already, from a launch
            // before), where asking first would cost a round trip on every launch
            engine.client().createNetworkCmd().withName(name).withDriver("bridge").withCheckDuplicate(true)
                    .withLabels(labels).withOptions(NO_ICC).exec();
            return name;
        } catch (ConflictException e) {
            return name; // there already
        } catch (RuntimeException e) {
            throw engine.failure("cannot make the instance's network", e);
        }
    }

    /**
     * Removes the shared network when no container is on it any more (the engine refuses while one is): a server
     * stopping with no instance running leaves nothing behind, and the engine's address pools, of which a host has
     * a few dozen, are not held by installations that are gone.
     */
    void removeSharedIfUnused() {
        if (!shared || made == null) {
            return;
        }
        try {
            engine.client().removeNetworkCmd(made).exec();
            made = null;
        } catch (RuntimeException e) {
            log.debug("the instances' network stays: {}", DockerEngine.rootMessage(e)); // in use, or gone
        }
    }

    /** Removes the instance's own network, where it has one (made before the installation shared one, say). */
    void remove(String instanceId) {
        try {
            engine.client().removeNetworkCmd(engine.nameOf(instanceId)).exec();
        } catch (NotFoundException e) {
            // none
        } catch (RuntimeException e) {
            log.warn("instance {}: cannot remove its network: {}", instanceId, DockerEngine.rootMessage(e));
        }
    }

    /** Adds the instances whose own networks are on the engine. */
    void instancesWithNetworks(Set<String> ids) {
        for (Network n : engine.client().listNetworksCmd()
                .withFilter("label", List.of(DockerEngine.INSTALLATION_LABEL + "=" + engine.installation())).exec()) {
            String id = n.getLabels() == null ? null : n.getLabels().get(DockerEngine.INSTANCE_LABEL);
            if (id != null) {
                ids.add(id);
            }
        }
    }
}
