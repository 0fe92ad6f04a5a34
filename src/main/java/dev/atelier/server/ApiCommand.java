package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.atelier.core.auth.SdkSigner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Sends one request signed with AK/SK the way the Huawei Cloud SDKs sign it, and prints the answer. */
@Command(name = "api", mixinStandardHelpOptions = true,
        description = "Send a signed request to an Atelier (or any ModelArts-compatible) API and print the response. "
                + "{project_id} in the path is replaced with the project of the credentials.")
final class ApiCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "HTTP method, e.g. GET, POST, DELETE.")
    String method;

    @Parameters(index = "1", description = "Path and query, e.g. /v1/{project_id}/notebooks?limit=10.")
    String path;

    @Option(names = "--data", description = "JSON request body.")
    String data;

    @Option(names = "--data-dir", defaultValue = "${env:ATELIER_DATA_DIR:-./atelier-data}",
            description = "Where credentials.json is (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--credentials", description = "A credentials.json file (default: <data-dir>/credentials.json).")
    Path credentials;

    @Option(names = "--url", defaultValue = "${env:ATELIER_URL:-http://127.0.0.1:8080}",
            description = "Base URL of the API (env ATELIER_URL; default ${DEFAULT-VALUE}).")
    String url;

    @Override
    public Integer call() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        Path file = credentials != null ? credentials : dataDir.resolve(Bootstrap.CREDENTIALS_FILE);
        if (!Files.isReadable(file)) {
            System.err.println("atelier api: cannot read " + file + " (start the server once to create it)");
            return 2;
        }
        JsonNode creds = mapper.readTree(file.toFile());
        String projectId = creds.path("project_id").asText();
        String target = path.replace("{project_id}", projectId);
        URI uri = URI.create(url.replaceAll("/+$", "") + target);
        byte[] body = data == null ? new byte[0] : data.getBytes(StandardCharsets.UTF_8);

        HttpRequest.Builder req = HttpRequest.newBuilder(uri)
                .method(method.toUpperCase(Locale.ROOT), HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json");
        new SdkSigner(creds.path("access_key").asText(), creds.path("secret_key").asText())
                .sign(method.toUpperCase(Locale.ROOT), uri, body, projectId).forEach(req::header);
        HttpResponse<String> resp;
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            resp = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            System.err.println("atelier api: cannot reach " + url + ": " + Main.rootMessage(e));
            return 2;
        }
        String out = resp.body();
        try {
            out = mapper.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(mapper.readTree(out));
        } catch (Exception notJson) {
            // print as received
        }
        (resp.statusCode() >= 400 ? System.err : System.out).println(out);
        return resp.statusCode() >= 400 ? 1 : 0;
    }
}
