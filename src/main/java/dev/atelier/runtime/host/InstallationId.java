package dev.atelier.runtime.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * Who this installation is to an engine it shares (a Docker engine, a cluster): 12 hex digits kept in the data
 * dir, made on first use, so that two installations never take each other's containers or pods for their own.
 */
public final class InstallationId {
    private InstallationId() {
    }

    public static String of(Path dataDir) {
        Path file = dataDir.resolve("installation-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file).strip();
                if (id.matches("[0-9a-f]{12}")) {
                    return id;
                }
            }
            byte[] random = new byte[6];
            new java.security.SecureRandom().nextBytes(random);
            String id = HexFormat.of().formatHex(random);
            Path partial = file.resolveSibling("installation-id.partial");
            Files.writeString(partial, id + "\n");
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot keep this installation's id in " + file, e);
        }
    }
}
