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

    /**
     * Profile {@code name} of {@code file}; empty when there is no file or no such profile. Refused, with a sentence
     * that says what to do, when the file is not a file of profiles, when others may read it (it holds secret
     * keys: ssh refuses its keys in the same case), or when the profile lacks its keys.
     */
    static Optional<Profile> read(Path file, String name) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IOException("the profiles file " + file + " is not a file this user can read");
        }
        var mode = Files.getPosixFilePermissions(file);
        if (mode.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ)
                || mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
            throw new IOException("the profiles file " + file + " holds secret keys and others may read it: "
                    + "chmod 600 " + file);
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("the profiles file " + file + " is not valid JSON"
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")")
                    + ": fix or remove it, then run atelier login");
        }
        JsonNode p = root == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance()
                : root.path("profiles").path(name);
        if (p.isMissingNode()) {
            return Optional.empty();
        }
        Profile profile = new Profile(p.path("url").asText(), p.path("project_id").asText(),
                p.path("access_key").asText(), p.path("secret_key").asText(), p.path("user_name").asText(null));
        if (profile.accessKey().isBlank() || profile.secretKey().isBlank() || profile.url().isBlank()) {
            throw new IOException("the profiles file " + file + " has profile " + name + ", which lacks its url, "
                    + "access_key or secret_key: run atelier login again");
        }
        return Optional.of(profile);
    }

    /** Adds or replaces profile {@code name}; the file is written whole, owner-only, and moved into place. */
    static void write(Path file, String name, Profile profile) throws IOException {
        ObjectNode root;
        try {
            root = Files.isReadable(file) && JSON.readTree(file.toFile()) instanceof ObjectNode o ? o
                    : JSON.createObjectNode();
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException("the profiles file " + file + " is not valid JSON: fix or remove it");
        }
        if (root.has("profiles") && !root.get("profiles").isObject()) {
            throw new IOException("the profiles file " + file + " is not a file of profiles: fix or remove it");
        }
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
