package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JupyterStatusTest {
    @Test
    void theStatusCountsKernelsAndTheKernelListSaysWhetherOneIsBusyAndWhenEachWasLastHeardFrom() {
        assertThat(JupyterStatus.kernels("{\"connections\": 1, \"kernels\": 2, \"last_activity\": \"x\"}"))
                .isEqualTo(2);
        assertThat(JupyterStatus.kernels("{\"started\": \"x\"}")).isNull();
        var two = JupyterStatus.kernelList("[{\"id\": \"a\", \"execution_state\": \"idle\", \"last_activity\": "
                + "\"2026-12-07T08:01:02.345678Z\"}, {\"id\": \"b\", \"execution_state\": \"busy\"}]");
        assertThat(two.busy()).isTrue();
        assertThat(two.heard()).as("b's last activity is not said")
                .isEqualTo(Map.of("a", Instant.parse("2026-12-07T08:01:02.345Z").toEpochMilli()));
        assertThat(JupyterStatus.kernelList("[{\"id\": \"a\", \"execution_state\": \"idle\"}]").busy()).isFalse();
        assertThat(JupyterStatus.kernelList("[]").busy()).isFalse();
        assertThat(JupyterStatus.kernelList("<html>").busy()).as("not a list: nothing is known").isNull();
        assertThat(JupyterStatus.kernelList("{\"message\": \"x\"}").heard()).isNull();
    }
}
