package dev.atelier.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.atelier.core.auth.SecretBox;
import dev.atelier.core.service.IdentityService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** First-start set-up: the server key, and an administrator with a project and an access key. */
final class Bootstrap {
    static final String CREDENTIALS_FILE = "credentials.json";
    static final String SERVER_KEY_FILE = "server.key";

    private Bootstrap() {
    }

    /** Creates the data dir, private to the server's user: it holds the database, the server key and every volume. */
    static void dataDir(Path dataDir) {
        try {
            if (!Files.isDirectory(dataDir)) {
                Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Path logs = dataDir.resolve("logs");
            if (!Files.exists(logs)) {
                Files.createDirectories(logs, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data dir " + dataDir, e);
        }
    }

    /** Reads the server key from the data dir, creating it (mode 0600) on first start. */
    static SecretBox serverKey(Path dataDir) {
        Path file = dataDir.resolve(SERVER_KEY_FILE);
        try {
            if (!Files.exists(file)) {
                writePrivate(file, HexFormat.of().formatHex(SecretBox.newKey()));
            }
            return new SecretBox(HexFormat.of().parseHex(Files.readString(file).trim()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the server key " + file, e);
        }
    }

    /**
     * Creates the administrator, their project and an access key when the store has no users yet, and writes
     * them to {@code credentials.json} (mode 0600). Returns the file when it was written.
     */
    static Path administrator(Path dataDir, IdentityService identity) {
        var admin = identity.bootstrap().orElse(null);
        if (admin == null) {
            return null;
        }
        Map<String, String> creds = new LinkedHashMap<>();
        creds.put("user_id", admin.user().id());
        creds.put("user_name", admin.user().name());
        creds.put("password", admin.password());
        creds.put("project_id", admin.project().id());
        creds.put("project_name", admin.project().name());
        creds.put("access_key", admin.accessKey());
        creds.put("secret_key", admin.secretKey());
        Path file = dataDir.resolve(CREDENTIALS_FILE);
        try {
            Files.deleteIfExists(file);
            writePrivate(file, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(creds)
                    + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private static void writePrivate(Path file, String content) throws IOException {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content, StandardOpenOption.TRUNCATE_EXISTING);
    }

}
