package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier image …} and {@code atelier keypair …}: what instances are made from and how people reach them,
 * through the same API as everything else ({@link NotebookCommands} for the shared options and exit codes).
 */
final class ResourceCommands {
    private ResourceCommands() {
    }

    @Command(name = "image", mixinStandardHelpOptions = true, description = "Images: list, register, delete.",
            subcommands = {ImageList.class, ImageRegister.class, ImageDelete.class})
    static final class Image {
    }

    @Command(name = "list", description = "List the images you may use.")
    static final class ImageList implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Option(names = "--name", description = "Names containing this.")
        String name;

        @Override
        public Integer call() {
            String q = "?limit=500" + (name == null ? "" : "&name=" + AdminCommands.enc(name));
            return c.run(api -> c.print(api.send("GET", "/v1/{project_id}/images" + q, null), page -> {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("ID", "NAME", "TAG", "STATUS", "TYPE", "SWR PATH"));
                for (JsonNode i : page.path("data")) {
                    rows.add(List.of(i.path("id").asText(), i.path("name").asText(), i.path("tag").asText(),
                            i.path("status").asText(), i.path("type").asText(), i.path("swr_path").asText()));
                }
                NotebookCommands.printRows(c.out, rows);
            }));
        }
    }

    @Command(name = "register", description = "Register an image by its reference (docs/images.md).")
    static final class ImageRegister implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Its reference (swr_path, 16 to 2048 characters), e.g. team/pandas-env:1.0.")
        String swrPath;
        @Option(names = "--description", description = "A description.")
        String description;

        @Override
        public Integer call() {
            ObjectNode body = JsonNodeFactory.instance.objectNode().put("swr_path", swrPath);
            if (description != null) {
                body.put("description", description);
            }
            return c.run(api -> c.print(api.send("POST", "/v1/{project_id}/images", body.toString()),
                    i -> c.out.println(i.path("id").asText() + " " + i.path("status").asText()
                            + (i.hasNonNull("status_message") ? " — " + i.get("status_message").asText() : ""))));
        }
    }

    @Command(name = "delete", description = "Delete an image nothing uses any more.")
    static final class ImageDelete implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Image id.")
        String id;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("DELETE", "/v1/{project_id}/images/" + AdminCommands.enc(id), null),
                    i -> c.out.println(i.path("id").asText() + " deleted")));
        }
    }

    @Command(name = "keypair", mixinStandardHelpOptions = true,
            description = "SSH key pairs instances may be reached with: add, list, delete.",
            subcommands = {KeypairAdd.class, KeypairList.class, KeypairDelete.class})
    static final class Keypair {
    }

    @Command(name = "add", description = "Register a public key under a name (e.g. ~/.ssh/id_ed25519.pub).")
    static final class KeypairAdd implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Its name, which instances' SSH endpoints name.")
        String name;
        @Parameters(index = "1", description = "The public key file.")
        Path publicKeyFile;

        @Override
        public Integer call() throws Exception {
            if (!Files.isReadable(publicKeyFile)) {
                c.err.println("atelier: cannot read " + publicKeyFile);
                return NotebookCommands.UNREACHABLE;
            }
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            body.putObject("keypair").put("name", name).put("public_key", Files.readString(publicKeyFile).trim());
            return c.run(api -> c.print(api.send("POST", "/v3/{project_id}/keypairs", body.toString()),
                    k -> c.out.println(k.path("keypair").path("name").asText() + " "
                            + k.path("keypair").path("fingerprint").asText())));
        }
    }

    @Command(name = "list", description = "List your key pairs.")
    static final class KeypairList implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("GET", "/v3/{project_id}/keypairs", null), all -> {
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("NAME", "FINGERPRINT"));
                for (JsonNode k : all.path("keypairs")) {
                    rows.add(List.of(k.path("keypair").path("name").asText(),
                            k.path("keypair").path("fingerprint").asText()));
                }
                NotebookCommands.printRows(c.out, rows);
            }));
        }
    }

    @Command(name = "delete", description = "Delete a key pair.")
    static final class KeypairDelete implements Callable<Integer> {
        @Mixin
        NotebookCommands.Connection c;
        @Parameters(index = "0", description = "Its name.")
        String name;

        @Override
        public Integer call() {
            return c.run(api -> c.print(api.send("DELETE", "/v3/{project_id}/keypairs/" + AdminCommands.enc(name),
                    null), k -> c.out.println(name + " deleted")));
        }
    }
}
