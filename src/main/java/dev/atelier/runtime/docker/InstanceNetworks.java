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
 * The bridge networks instances' containers are on, traffic between containers off on each, so that no instance
 * can reach another's address ({@code --docker-network}).
 *
 * <p>Only where the kernel passes bridged traffic through iptables (bridge netfilter on, as {@code
 * net.bridge.bridge-nf-call-iptables = 1} says) and the engine is this host's does the engine's rule that drops
 * traffic between containers of one bridge hold; there, several instances may share a bridge:
 * <ul>
 * <li>{@link Mode#BRIDGE}: the engine's default bridge, where the engine itself drops that traffic ({@code dockerd
 *     --icc=false}). A container on it starts about 0.2 s sooner than one on a network made by a client, for which
 *     the engine sets up a DNS resolver inside each container's network namespace.</li>
 * <li>{@link Mode#SHARED}: one network of the installation's, made once with that traffic off. A launch waits for
 *     no network (making one took the engine 84 ms, and removing it 176 ms at each stop), and the host is not
 *     limited to the engine's few dozen address pools.</li>
 * </ul>
 * Elsewhere each instance gets a network of its own ({@link Mode#PER_INSTANCE}). {@link Mode#AUTO} takes the first
 * of these three that keeps instances apart; a mode asked for where it would not is refused at each launch.
 */
final class InstanceNetworks {
    private static final Logger log = LoggerFactory.getLogger(InstanceNetworks.class);
    static final Path BRIDGE_NETFILTER = Path.of("/proc/sys/net/bridge/bridge-nf-call-iptables");
    /** A bridge network's option that says whether its containers may reach each other. */
    private static final String ICC = "com.docker.network.bridge.enable_icc";
    private static final Map<String, String> NO_ICC = Map.of(ICC, "false");

    /** The engine's default bridge network. */
    static final String DEFAULT_BRIDGE = "bridge";

    /** Which networks instances are on. */
    enum Mode {
        AUTO, BRIDGE, SHARED, PER_INSTANCE;

        /** {@code auto}, {@code bridge}, {@code shared} or {@code per-instance}. */
        static Mode of(String name) {
            for (Mode m : values()) {
                if (m.option().equals(name)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("--docker-network must be auto, bridge, shared or per-instance, not "
                    + name);
        }

        String option() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private final DockerEngine engine;
    private final Mode asked;
    private final boolean bridgesFiltered;
    /** What {@link #asked} came to, once the engine was asked what it needed to be; null until then. */
    private volatile Mode mode;
    /** The shared network's id, once made or found. */
    private volatile String made;

    InstanceNetworks(DockerEngine engine, Mode asked) {
        this(engine, asked, sharingIsolates(engine.host(), BRIDGE_NETFILTER));
    }

    /** {@code bridgesFiltered}: whether the engine's rule against traffic between a bridge's containers holds. */
    InstanceNetworks(DockerEngine engine, Mode asked, boolean bridgesFiltered) {
        this.engine = engine;
        this.asked = asked;
        this.bridgesFiltered = bridgesFiltered;
        this.mode = asked == Mode.PER_INSTANCE || asked == Mode.AUTO && !bridgesFiltered ? Mode.PER_INSTANCE : null;
    }

    /**
     * What the asked mode comes to: auto is the default bridge where the engine drops traffic between its
     * containers, else the shared network where bridges are filtered, else a network per instance. Asks the engine
     * once (and again while it does not answer).
     */
    Mode mode() {
        Mode m = mode;
        if (m != null) {
            return m;
        }
        if (!bridgesFiltered) { // bridge or shared asked for: neither would keep instances apart here
            throw new dev.atelier.core.port.InstanceRuntime.RuntimeFailure("--docker-network " + asked.option()
                    + " would not keep instances apart: the engine is not this host's, or bridge netfilter is off "
                    + "(" + BRIDGE_NETFILTER + " is not 1; modprobe br_netfilter); use auto or per-instance");
        }
        boolean bridgeDrops = defaultBridgeDropsTraffic();
        if (asked == Mode.BRIDGE && !bridgeDrops) {
            throw new dev.atelier.core.port.InstanceRuntime.RuntimeFailure("--docker-network bridge would not keep "
                    + "instances apart: the engine lets containers on its default bridge reach each other (start "
                    + "dockerd with --icc=false); use auto, shared or per-instance");
        }
        m = asked == Mode.SHARED || !bridgeDrops ? Mode.SHARED : Mode.BRIDGE;
        mode = m;
        return m;
    }

    /** Whether the engine's default bridge has traffic between its containers off ({@code dockerd --icc=false}). */
    private boolean defaultBridgeDropsTraffic() {
        try {
            Map<String, String> options = engine.client().inspectNetworkCmd().withNetworkId(DEFAULT_BRIDGE).exec()
                    .getOptions();
            return options != null && "false".equals(options.get(ICC));
        } catch (NotFoundException e) {
            return false;
        } catch (RuntimeException e) {
            throw engine.failure("cannot look at the engine's default bridge network", e);
        }
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
        Mode m;
        try {
            m = mode();
        } catch (RuntimeException e) {
            return "no bridge network yet: " + DockerEngine.rootMessage(e);
        }
        return switch (m) {
            case BRIDGE -> "the engine's default bridge network, traffic between its containers dropped (dockerd "
                    + "--icc=false, bridge netfilter on)";
            case SHARED -> "one bridge network for the installation's instances, traffic between them dropped (bridge "
                    + "netfilter on)";
            default -> "a bridge network per instance";
        };
    }

    /** Whether instances share the installation's own network. */
    boolean shared() {
        return mode == Mode.SHARED;
    }

    /** The network the instance's container is to be on, made if it is not there. */
    String ensure(String instanceId) {
        return switch (mode()) {
            case BRIDGE -> {
                // looked at again at every launch: an engine restarted without --icc=false lets containers on its
                // default bridge reach each other, and no instance may go there then
                if (!defaultBridgeDropsTraffic()) {
                    if (asked == Mode.BRIDGE) {
                        mode = null; // said again at each launch until the engine drops that traffic again
                        throw new dev.atelier.core.port.InstanceRuntime.RuntimeFailure("--docker-network bridge no "
                                + "longer keeps instances apart: the engine now lets containers on its default "
                                + "bridge reach each other (start dockerd with --icc=false)");
                    }
                    log.warn("the engine's default bridge no longer drops traffic between containers (dockerd without "
                            + "--icc=false): instances go on the installation's own network from now on");
                    mode = Mode.SHARED;
                    String id = made;
                    yield id != null ? id : sharedNetwork();
                }
                yield DEFAULT_BRIDGE;
            }
            case SHARED -> {
                String id = made;
                yield id != null ? id : sharedNetwork();
            }
            default -> make(engine.nameOf(instanceId), Map.of(DockerEngine.INSTALLATION_LABEL, engine.installation(),
                    DockerEngine.INSTANCE_LABEL, instanceId));
        };
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
        String network = made;
        if (network == null) {
            return; // not used by this server: another replica's may be on it
        }
        try {
            engine.client().removeNetworkCmd(network).exec();
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
