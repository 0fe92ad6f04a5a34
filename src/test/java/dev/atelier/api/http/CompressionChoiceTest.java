package dev.atelier.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which answers are gzipped for clients that ask: Javalin's choices, JSON found first, binaries left alone. */
class CompressionChoiceTest {
    private final io.javalin.compression.CompressionStrategy strategy = HttpApi.compression();

    @Test
    void jsonIsAllowedAtOnceAndSvgStaysCompressedAsJavalinHasIt() {
        assertThat(strategy.getAllowedMimeTypes()).contains("application/json", "application/json; charset=UTF-8",
                "image/svg+xml");
    }

    @Test
    void opaqueAndCompressedBinariesAreSentAsTheyAre() {
        assertThat(strategy.getExcludedMimeTypes()).contains("application/octet-stream", "application/zstd",
                "image/");
    }
}
