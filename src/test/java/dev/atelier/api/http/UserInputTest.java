package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UserInputTest {
    @Test
    void codeSentToAKernelAndKeysTypedIntoATerminalAreInputAndAPagesOwnMessagesAreNot() {
        var kernel = UserInput.channelOf("/notebook/abc/api/kernels/k-1/channels");
        var terminal = UserInput.channelOf("/notebook/abc/terminals/websocket/1");
        assertThat(kernel).isEqualTo(UserInput.Channel.KERNEL);
        assertThat(terminal).isEqualTo(UserInput.Channel.TERMINAL);
        assertThat(UserInput.channelOf("/notebook/abc/api/events/subscribe")).isEqualTo(UserInput.Channel.OTHER);
        assertThat(UserInput.kernelOf("/notebook/abc/api/kernels/k-1/channels")).as("code sent there is followed")
                .isEqualTo("k-1");
        assertThat(UserInput.kernelOf("/notebook/abc/terminals/websocket/1")).isNull();

        assertThat(UserInput.isInput(kernel, "{\"header\": {\"msg_type\": \"execute_request\"}}")).isTrue();
        assertThat(UserInput.isInput(kernel, "{\"header\":{\"msg_type\":\"input_reply\"}}")).isTrue();
        assertThat(UserInput.isInput(kernel, "{\"header\": {\"msg_type\": \"kernel_info_request\"}}")).isFalse();
        assertThat(UserInput.isInput(kernel, "{\"header\": {\"msg_type\": \"comm_info_request\"}}")).isFalse();
        assertThat(UserInput.isInput(kernel, "xx{\"msg_type\":\"execute_request\"}"
                .getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(UserInput.isInput(kernel, "{\"msg_type\":\"kernel_info_request\"}"
                .getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(UserInput.isInput(terminal, "[\"stdin\", \"ls\\r\"]")).isTrue();
        assertThat(UserInput.isInput(terminal, "[\"set_size\", 24, 80]")).isFalse();

        assertThat(UserInput.isInput("PUT")).as("a save").isTrue();
        assertThat(UserInput.isInput("POST")).isTrue();
        assertThat(UserInput.isInput("GET")).as("a listing or a poll").isFalse();
    }
}
