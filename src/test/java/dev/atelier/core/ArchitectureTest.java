package dev.atelier.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /**
     * What the compiled core refers to, read from its class files' constant pools: an inline fully qualified name
     * ({@code io.javalin.http.Context ctx}) bypasses imports, but not the class file.
     */
    @Test
    void theCompiledCoreRefersToNoFrameworkAndNoAdapterEvenByFullName() throws IOException {
        Path core = Path.of("target/classes/dev/atelier/core");
        assertThat(core).as("compiled before the tests run").isDirectory();
        Set<String> offending = new TreeSet<>();
        try (Stream<Path> files = Files.walk(core)) {
            for (Path classFile : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                for (String referenced : referencedClasses(classFile)) {
                    String name = referenced.replace('/', '.');
                    if (ALLOWED.stream().noneMatch(name::startsWith)) {
                        offending.add(core.relativize(classFile) + " -> " + name);
                    }
                }
            }
        }
        assertThat(offending).isEmpty();
        // and the reading itself sees what a class refers to, by import or by full name alike
        assertThat(referencedClasses(core.resolve("service/Reconciler.class")))
                .contains("org/slf4j/Logger", "dev/atelier/core/port/InstanceRuntime", "java/time/Clock");
    }

    /**
     * Adapters never refer to each other: the HTTP and SSH views, the SQL store, the runtimes and the metrics meet only
     * in the composition root ({@code server}). The two API adapters share {@code dev.atelier.api} (how ids are spelt).
     */
    @Test
    void noAdapterRefersToAnotherAdapter() throws IOException {
        List<String> adapters = List.of("api/http", "api/ssh", "store/sql", "runtime/local", "runtime/docker",
                "runtime/kubernetes", "metrics");
        Set<String> offending = new TreeSet<>();
        for (String adapter : adapters) {
            Path dir = Path.of("target/classes/dev/atelier").resolve(adapter);
            assertThat(dir).as("compiled before the tests run").isDirectory();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path classFile : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                    for (String referenced : referencedClasses(classFile)) {
                        for (String other : adapters) {
                            if (!other.equals(adapter) && referenced.startsWith("dev/atelier/" + other + "/")) {
                                offending.add(adapter + "/" + dir.relativize(classFile) + " -> " + referenced);
                            }
                        }
                        if (referenced.startsWith("dev/atelier/server/")) {
                            offending.add(adapter + "/" + dir.relativize(classFile) + " -> " + referenced);
                        }
                    }
                }
            }
        }
        assertThat(offending).isEmpty();
    }

    private static final Pattern DESCRIBED = Pattern.compile("L([a-zA-Z_$][\\w$]*(?:/[\\w$]+)+);");

    /** The classes a class file names: its class entries, and the types in its descriptors and signatures. */
    static List<String> referencedClasses(Path classFile) throws IOException {
        List<String> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(classFile); DataInputStream in = new DataInputStream(raw)) {
            in.readInt(); // magic
            in.readUnsignedShort(); // minor
            in.readUnsignedShort(); // major
            int count = in.readUnsignedShort();
            String[] utf8 = new String[count];
            List<Integer> classNames = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                int tag = in.readUnsignedByte();
                switch (tag) {
                    case 1 -> utf8[i] = in.readUTF();
                    case 7 -> classNames.add(in.readUnsignedShort());
                    case 8, 16, 19, 20 -> in.readUnsignedShort();
                    case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();
                    case 15 -> {
                        in.readUnsignedByte();
                        in.readUnsignedShort();
                    }
                    case 5, 6 -> {
                        in.readLong();
                        i++; // takes two entries
                    }
                    default -> throw new IOException(classFile + ": unknown constant pool tag " + tag);
                }
            }
            for (int index : classNames) {
                String name = utf8[index];
                out.add(name.startsWith("[") ? name.replaceAll("^\\[+L?|;$", "") : name);
            }
            for (String s : utf8) {
                if (s != null && (s.startsWith("(") || s.startsWith("L") || s.startsWith("<"))) {
                    Matcher m = DESCRIBED.matcher(s);
                    while (m.find()) {
                        out.add(m.group(1));
                    }
                }
            }
        }
        out.removeIf(n -> !n.contains("/"));
        return out;
    }
}
