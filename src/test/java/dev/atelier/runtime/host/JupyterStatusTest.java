package dev.atelier.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JupyterStatusTest {
    @Test
    void theStatusCountsKernelsAndTheKernelListSaysWhetherOneIsBusy() {
        assertThat(JupyterStatus.kernels("{\"connections\": 1, \"kernels\": 2, \"last_activity\": \"x\"}"))
                .isEqualTo(2);
        assertThat(JupyterStatus.kernels("{\"started\": \"x\"}")).isNull();
        assertThat(JupyterStatus.anyBusy("[{\"id\": \"a\", \"execution_state\": \"idle\"}, "
                + "{\"id\": \"b\", \"execution_state\": \"busy\"}]")).isTrue();
        assertThat(JupyterStatus.anyBusy("[{\"id\": \"a\", \"execution_state\": \"idle\"}]")).isFalse();
        assertThat(JupyterStatus.anyBusy("[]")).isFalse();
    }
}
