package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which paths the one request filter signs in and checks a project for, decided without a pattern per path. */
class HttpApiPathsTest {
    @Test
    void theApiTheAdministrationAndIdentityNeedACallerButSigningInAndTheRestDoNot() {
        assertThat(HttpApi.secured("/v1/p1/notebooks")).isTrue();
        assertThat(HttpApi.secured("/admin/users")).isTrue();
        assertThat(HttpApi.secured("/v3/p1/users")).isTrue();
        assertThat(HttpApi.secured("/v3/auth/tokens")).isFalse();
        assertThat(HttpApi.secured("/health/live")).isFalse();
        assertThat(HttpApi.secured("/notebook/abc/api/status")).isFalse();
        assertThat(HttpApi.secured("/console/")).isFalse();
        assertThat(HttpApi.secured("/v1")).isFalse();
    }

    @Test
    void theProjectIsTheSegmentAfterTheVersionDecodedAsJavalinDecodesPathParameters() {
        assertThat(HttpApi.projectSegment("/v1/p1/notebooks/abc")).isEqualTo("p1");
        assertThat(HttpApi.projectSegment("/v3/p1/users")).isEqualTo("p1");
        assertThat(HttpApi.projectSegment("/v1/p%31/notebooks")).isEqualTo("p1");
        assertThat(HttpApi.projectSegment("/v1/a+b/notebooks")).isEqualTo("a+b");
        assertThat(HttpApi.projectSegment("/v1/a%2Bb/notebooks")).isEqualTo("a+b");
        assertThat(HttpApi.projectSegment("/v1/a%252Bb/notebooks")).isEqualTo("a%2Bb");
        assertThat(HttpApi.projectSegment("/v3/auth/tokens")).isNull();
        assertThat(HttpApi.projectSegment("/v1/p1")).isNull();
        assertThat(HttpApi.projectSegment("/v1//notebooks")).isNull();
        assertThat(HttpApi.projectSegment("/admin/users/x")).isNull();
    }
}
