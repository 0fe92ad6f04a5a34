package dev.atelier.server;

import dev.atelier.core.model.Flavor;
import dev.atelier.core.model.Pool;
import dev.atelier.core.model.Room;
import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.runtime.docker.BaseImage;
import dev.atelier.runtime.docker.DockerEngine;
import dev.atelier.runtime.docker.DockerImages;
import dev.atelier.runtime.docker.DockerRuntime;
import dev.atelier.runtime.host.HostRoom;
import dev.atelier.runtime.host.InstallationId;
import dev.atelier.runtime.host.WarmPool;
import dev.atelier.runtime.host.DescriptorGuard;
import dev.atelier.runtime.host.WarmRuntime;
import dev.atelier.runtime.kubernetes.ClusterImages;
import dev.atelier.runtime.kubernetes.KubernetesCluster;
import dev.atelier.runtime.kubernetes.KubernetesRuntime;
import dev.atelier.runtime.kubernetes.NodeResources;
import dev.atelier.runtime.local.LocalImages;
import dev.atelier.runtime.local.LocalProcessRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime the configuration asks for, with what goes with it: its images, what the built-in image is on it,
 * which flavors it can run (the others are listed as sold out), what a pool holds where the operator does not say
 * (null where the runtime cannot tell: on one host, only the public pool's room is measured, as the host's), what
 * it can enforce (for the operator) and how it is closed.
 */
record RuntimeParts(InstanceRuntime runtime, ImageBuilder images, String builtInImage, Predicate<Flavor> offers,
                    Function<Pool, Room> room, Supplier<Map<String, Object>> capabilities, AutoCloseable closer) {
    private static final Logger log = LoggerFactory.getLogger(RuntimeParts.class);

    static RuntimeParts of(ServerConfig config) {
        ServerConfig.Engine engine = config.engine();
        if (engine.kubernetes()) {
            return kubernetes(config, engine.cluster());
        }
        if (engine.docker()) {
            DockerEngine docker = DockerEngine.connect(engine.dockerHost(), config.dataDir(), engine.registry(),
                    engine.registryUser(), engine.registryPassword());
            String problem = docker.problem();
            if (problem != null) {
                // instances wait for it: their status says so, and they converge once it answers
                log.warn("{}", problem);
            } else {
                BaseImage.ensure(docker, config.dataDir().resolve("tmp"), line -> log.info("{}", line));
            }
            var runtime = new DockerRuntime(docker, config.dataDir(), config.objectStoreDir(),
                    config.instances().stopGrace(), engine.dockerNetwork());
            return withWarmPool(config, new RuntimeParts(runtime, new DockerImages(docker), BaseImage.REFERENCE,
                    RuntimeParts::hostOffers, hostRoom(config), runtime::capabilities, () -> {
                        try {
                            runtime.close();
                        } finally {
                            docker.client().close();
                        }
                    }),
                    runtime);
        }
        var runtime = new LocalProcessRuntime(config.dataDir(), config.objectStoreDir(),
                config.instances().stopGrace(), config.instances().sandbox(), config.instances().requireIsolation(),
                config.instances().network());
        return withWarmPool(config, new RuntimeParts(runtime, new LocalImages(config.dataDir(), runtime),
                config.instances().jupyterCommand(), RuntimeParts::hostOffers, hostRoom(config), runtime::capabilities,
                runtime), runtime);
    }

    /**
     * The runtime that takes servers kept warm ({@link WarmRuntime}; the pool is filled once the images are known,
     * see {@link Atelier}), shown with the runtime's capabilities and closed before it. Also without a pool of its
     * own ({@code --warm-pool 0}): another replica of this host may keep one, whose servers this one must not take
     * for orphans.
     */
    private static RuntimeParts withWarmPool(ServerConfig config, RuntimeParts parts, WarmRuntime.Engine engine) {
        // the pool looks at its servers through the guard too: a server "failed" for want of descriptors is not
        // thrown away (which would fail as well, and leave it running)
        WarmRuntime warm = new WarmRuntime(new DescriptorGuard(parts.runtime()), engine,
                config.dataDir().resolve("warm"));
        Supplier<Map<String, Object>> capabilities = () -> {
            Map<String, Object> c = new java.util.LinkedHashMap<>(parts.capabilities().get());
            warm.describe().ifPresent(d -> c.put("warm_pool", d));
            return c;
        };
        return new RuntimeParts(warm, parts.images(), parts.builtInImage(), parts.offers(), parts.room(),
                capabilities, () -> {
                    try {
                        warm.close();
                    } finally {
                        parts.closer().close();
                    }
                });
    }

    private static RuntimeParts kubernetes(ServerConfig config, ServerConfig.Cluster c) {
        KubernetesCluster cluster = KubernetesCluster.connect(c.kubeconfig(), c.namespace(),
                c.installation() == null ? InstallationId.of(config.dataDir()) : c.installation(), c.storageClass(),
                c.pullSecrets(), c.namespaceSource());
        String problem = cluster.problem();
        if (problem != null) {
            log.warn("{}", problem); // instances wait for it, and converge once it answers
        }
        var runtime = new KubernetesRuntime(cluster, config.instances().stopGrace(), c.portForward());
        var nodes = new NodeResources(cluster);
        var images = ClusterImages.of(runtime, config.engine().registry(), config.engine().registryUser(),
                config.engine().registryPassword(), config.dataDir().resolve("tmp"));
        return new RuntimeParts(new DescriptorGuard(runtime), images, BaseImage.REFERENCE, nodes::offers,
                pool -> nodes.room(pool.placement()), runtime::capabilities, runtime);
    }

    /**
     * The host, measured now, for the public pool, less what servers kept warm hold; a dedicated pool's room cannot
     * be told from it.
     */
    private static Function<Pool, Room> hostRoom(ServerConfig config) {
        long warm = config.instances().warmPool().values().stream().mapToLong(Integer::longValue).sum();
        Room host = HostRoom.measureLess(warm * WarmPool.MEMORY_MIB);
        return pool -> pool.id().equals(Pool.DEFAULT_ID) ? host : null;
    }

    /** The host's accelerators: GPU and Ascend flavors only where the host has such devices. */
    private static boolean hostOffers(Flavor f) {
        return !(f.category().equals("GPU") && !Files.exists(Path.of("/dev/nvidia0"))
                || f.category().equals("ASCEND") && !Files.exists(Path.of("/dev/davinci0")));
    }
}
