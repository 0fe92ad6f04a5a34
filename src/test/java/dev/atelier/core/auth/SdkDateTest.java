package dev.atelier.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** X-Sdk-Date is read by hand; it must read every date the SDK's formatter writes, and nothing else. */
class SdkDateTest {

    @Test
    void readsWhatTheSdkFormatWritesForAnyInstant() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 10_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(0, 4_102_444_800L)); // 1970 .. 2100
            String written = Authenticator.SDK_DATE.format(t.atOffset(ZoneOffset.UTC));
            assertThat(Authenticator.parseSdkDate(written)).as(written).isEqualTo(t);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "20240101T120000", "20240101 120000Z", "2024-01-01T12:00:00Z", "20240101T12000aZ",
        "20240230T120000Z", "20241301T120000Z", "20240101T246000Z", "20240101T120060Z", "20240101T120000z",
        "+2024010T120000Z", "20240101T120000Z ", "２0240101T120000Z"})
    void refusesWhatIsNotSuchADate(String raw) {
        assertThat(Authenticator.parseSdkDate(raw)).isNull();
    }
}
