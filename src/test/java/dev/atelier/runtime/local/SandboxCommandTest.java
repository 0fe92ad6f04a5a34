package dev.atelier.runtime.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sandbox command line, for what the test host cannot run (it has no GPUs): a GPU flavor's devices are
 * bound in and numbered from 0, and only then.
 */
class SandboxCommandTest {
    static final List<String> SERVER = List.of("/usr/bin/jupyter-server", "--port=1");

    @Test
    void gpusAreBoundInRenumberedAndMadeVisible() {
        List<String> cmd = Sandbox.wrap(SERVER, Path.of("/data/instances/x"), Path.of("/data/mounts/x"), 200_001,
                List.of(), List.of(), null, List.of(2, 3));
        String line = String.join(" ", cmd);
        assertThat(line).contains("--dev-bind /dev/nvidia2 /dev/nvidia0", "--dev-bind /dev/nvidia3 /dev/nvidia1",
                "--setenv CUDA_VISIBLE_DEVICES 0,1");
        assertThat(cmd.subList(cmd.size() - SERVER.size(), cmd.size())).isEqualTo(SERVER);
    }

    @Test
    void withoutGpusNoDeviceIsBoundAndTheHostStaysOutOfSight() {
        List<String> cmd = Sandbox.wrap(SERVER, Path.of("/data/instances/x"), Path.of("/data/mounts/x"), 200_001,
                List.of(Path.of("/sys/fs/cgroup/memory/atelier/x")), List.of(), null, List.of());
        String line = String.join(" ", cmd);
        assertThat(line).doesNotContain("nvidia").doesNotContain("CUDA_VISIBLE_DEVICES");
        assertThat(line).contains("--reuid=200001", "--unshare-pid", "--ro-bind /usr /usr", "--tmpfs /tmp",
                "--bind /data/instances/x /home/ma-user", "--bind /data/mounts/x /home/ma-user/work/data", "echo $$ > '/sys/fs/cgroup/memory/atelier/x/cgroup.procs'");
        assertThat(line).doesNotContain("--bind / ").doesNotContain("/data/instances ");
    }
}
