package dev.atelier.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The domain core depends on the JDK (and the SLF4J logging facade) only; adapters never leak into it. */
class ArchitectureTest {
    private static final List<String> ALLOWED = List.of("java.", "javax.crypto.", "dev.atelier.core.", "org.slf4j.");

    @Test
    void theCoreImportsNoFrameworkAndNoAdapter() throws IOException {
        Path core = Path.of("src/main/java/dev/atelier/core");
        assertThat(core).isDirectory();
        try (Stream<Path> files = Files.walk(core)) {
            List<String> offending = files.filter(p -> p.toString().endsWith(".java")).flatMap(p -> {
                try {
                    return Files.readAllLines(p).stream().filter(l -> l.startsWith("import "))
                            .map(l -> l.replace("import static ", "").replace("import ", ""))
                            .filter(l -> ALLOWED.stream().noneMatch(l::startsWith))
                            .map(l -> p.getFileName() + ": " + l);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).toList();
            assertThat(offending).isEmpty();
        }
    }
}
