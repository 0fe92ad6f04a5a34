package dev.atelier.server;

import dev.atelier.core.port.ImageBuilder;
import dev.atelier.core.port.InstanceRuntime;
import dev.atelier.runtime.docker.BaseImage;
import dev.atelier.runtime.docker.DockerEngine;
import dev.atelier.runtime.docker.DockerImages;
import dev.atelier.runtime.docker.DockerRuntime;
import dev.atelier.runtime.local.LocalImages;
import dev.atelier.runtime.local.LocalProcessRuntime;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime the configuration asks for, with what goes with it: its images, what the built-in image is on it, what
 * it can enforce (for the operator) and how it is closed.
 */
record RuntimeParts(InstanceRuntime runtime, ImageBuilder images, String builtInImage,
                    Supplier<Map<String, Object>> capabilities, AutoCloseable closer) {
    private static final Logger log = LoggerFactory.getLogger(RuntimeParts.class);

    static RuntimeParts of(ServerConfig config) {
        ServerConfig.Engine engine = config.engine();
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
                    config.instances().stopGrace());
            return new RuntimeParts(runtime, new DockerImages(docker), BaseImage.REFERENCE, runtime::capabilities,
                    () -> docker.client().close());
        }
        var runtime = new LocalProcessRuntime(config.dataDir(), config.objectStoreDir(),
                config.instances().stopGrace(), config.instances().sandbox(), config.instances().requireIsolation(),
                config.instances().network());
        return new RuntimeParts(runtime, new LocalImages(config.dataDir(), runtime), config.instances().jupyterCommand(),
                runtime::capabilities, runtime);
    }
}
