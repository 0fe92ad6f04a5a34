package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KernelMessagesTest {
    @Test
    void anExecuteRequestsIdAndTheRequestAnIdleStatusAnswersAreReadAndNothingElse() {
        assertThat(KernelMessages.executeRequestId("{\"header\": {\"msg_id\": \"m1\", \"msg_type\": "
                + "\"execute_request\"}, \"channel\": \"shell\", \"content\": {\"code\": \"1\"}}")).isEqualTo("m1");
        assertThat(KernelMessages.executeRequestId("{\"header\": {\"msg_id\": \"m2\", \"msg_type\": "
                + "\"kernel_info_request\"}, \"content\": {\"code\": \"execute_request\"}}")).isNull();
        assertThat(KernelMessages.executeRequestId("execute_request, not JSON")).isNull();

        assertThat(KernelMessages.idleAfter("{\"header\": {\"msg_type\": \"status\"}, \"parent_header\": "
                + "{\"msg_id\": \"m1\"}, \"content\": {\"execution_state\": \"idle\"}, \"channel\": \"iopub\"}"))
                .isEqualTo("m1");
        assertThat(KernelMessages.idleAfter("{\"header\": {\"msg_type\": \"status\"}, \"parent_header\": "
                + "{\"msg_id\": \"m1\"}, \"content\": {\"execution_state\": \"busy\"}, \"text\": \"idle\"}")).isNull();
        assertThat(KernelMessages.idleAfter("{\"header\": {\"msg_type\": \"stream\"}, \"parent_header\": "
                + "{\"msg_id\": \"m1\"}, \"content\": {\"text\": \"execution_state idle\"}}")).isNull();
        assertThat(KernelMessages.idleAfter("{\"header\": {\"msg_type\": \"status\"}, \"parent_header\": {}, "
                + "\"content\": {\"execution_state\": \"idle\"}}")).isNull();

        assertThat(KernelMessages.restartedOrDead("{\"header\": {\"msg_type\": \"status\"}, \"parent_header\": {}, "
                + "\"content\": {\"execution_state\": \"restarting\"}}")).isTrue();
        assertThat(KernelMessages.restartedOrDead("{\"header\": {\"msg_type\": \"status\"}, \"content\": "
                + "{\"execution_state\": \"dead\"}}")).isTrue();
        assertThat(KernelMessages.restartedOrDead("{\"header\": {\"msg_type\": \"status\"}, \"content\": "
                + "{\"execution_state\": \"busy\"}}")).isFalse();
    }
}
