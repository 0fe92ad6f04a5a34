package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The command line's profiles: which server, as whom (an access key), in which project; several, by name, in one
 * file readable by its owner only ({@code $ATELIER_CONFIG}, else {@code $XDG_CONFIG_HOME/atelier/profiles.json},
 * else {@code ~/.config/atelier/profiles.json}). {@code atelier login} writes them.
 */
final class Profiles {
    static final String DEFAULT = "default";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One profile. */
    record Profile(String url, String projectId, String accessKey, String secretKey, String userName) {
    }

    private Profiles() {
    }

    static Path file(Map<String, String> env) {
        String explicit = env.get("ATELIER_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("atelier").resolve("profiles.json");
    }

    static Optional<Profile> read(Path file, String name) throws IOException {
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        JsonNode p = JSON.readTree(file.toFile()).path("profiles").path(name);
        if (p.isMissingNode()) {
            return Optional.empty();
        }
        return Optional.of(new Profile(p.path("url").asText(), p.path("project_id").asText(),
                p.path("access_key").asText(), p.path("secret_key").asText(), p.path("user_name").asText(null)));
    }

    /** Adds or replaces profile {@code name}; the file is written whole, owner-only, and moved into place. */
    static void write(Path file, String name, Profile profile) throws IOException {
        ObjectNode root = Files.isReadable(file) ? (ObjectNode) JSON.readTree(file.toFile())
                : JSON.createObjectNode();
        ObjectNode all = root.has("profiles") ? (ObjectNode) root.get("profiles") : root.putObject("profiles");
        all.putObject(name).put("url", profile.url()).put("project_id", profile.projectId())
                .put("access_key", profile.accessKey()).put("secret_key", profile.secretKey())
                .put("user_name", profile.userName());
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tmp = Files.createTempFile(dir, ".profiles", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, JSON.writeValueAsString(root) + "\n");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
