package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier notebook save-image ID --name N}: saves a running instance (what its user installed, their
 * settings) as an image that new instances start from; with {@code --wait}, until the image is usable.
 */
@Command(name = "save-image", description = "Save a running instance as an image for new instances; --wait until "
        + "the image is usable.")
final class NotebookSaveImage implements Callable<Integer> {
    @Mixin
    NotebookCommands.Connection c;
    @Mixin
    NotebookCommands.Waiting w;
    @Parameters(index = "0", description = "Instance id.")
    String id;
    @Option(names = "--name", required = true, description = "The image's name (lower case, digits, . _ -).")
    String name;
    @Option(names = "--tag", defaultValue = "latest", description = "Its tag (default ${DEFAULT-VALUE}).")
    String tag;
    @Option(names = "--namespace", description = "Its organisation (default: the server's).")
    String namespace;
    @Option(names = "--description", description = "What it holds.")
    String description;

    @Override
    public Integer call() {
        ObjectNode body = new ObjectMapper().createObjectNode().put("name", name).put("tag", tag);
        if (namespace != null) {
            body.put("namespace", namespace);
        }
        if (description != null) {
            body.put("description", description);
        }
        return c.run(api -> {
            ApiClient.Response r = api.send("POST", "/v1/{project_id}/notebooks/" + AdminCommands.enc(id)
                    + "/create-image", body.toString());
            int code = c.print(r, image -> c.out.println(image.path("id").asText() + " "
                    + image.path("status").asText()));
            return code != 0 || !w.wait ? code : until(api, r.json().path("id").asText());
        });
    }

    /** Polls the image until it is ACTIVE (0), failed (3) or time runs out (4), a line for each change. */
    private int until(ApiClient api, String imageId) throws ApiClient.Unreachable {
        return w.poll(c, () -> {
            ApiClient.Response r = api.send("GET", "/v1/{project_id}/images/" + AdminCommands.enc(imageId), null);
            if (!r.ok() || r.notTheApi()) {
                return new NotebookCommands.Waiting.Look("atelier: " + r.problem(), null,
                        NotebookCommands.refusal(r));
            }
            JsonNode image = r.json();
            String status = image.path("status").asText();
            String said = image.path("name").asText() + ":" + image.path("tag").asText() + ": " + status
                    + (image.hasNonNull("status_message") && !image.get("status_message").asText().isBlank()
                    ? " — " + image.get("status_message").asText() : "");
            Integer ended = status.equals("ACTIVE") ? Integer.valueOf(0) : status.equals("CREATE_FAILED")
                    || status.equals("ERROR") || status.equals("DELETED") ? Integer.valueOf(NotebookCommands.FAILED)
                    : null;
            return new NotebookCommands.Waiting.Look(said, status, ended);
        });
    }
}
