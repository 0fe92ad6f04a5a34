package dev.atelier.server;

import java.nio.charset.StandardCharsets;
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

    @Option(names = "--url", defaultValue = "${env:ATELIER_URL}",
            description = "Base URL of the API (env ATELIER_URL; default: the server running on the data dir, "
                    + "else http://127.0.0.1:8080).")
    String url;

    @Override
    public Integer call() throws Exception {
        Path file = credentials != null ? credentials : dataDir.resolve(Bootstrap.CREDENTIALS_FILE);
        String base = url != null && !url.isBlank() ? url : AdminCommands.runningServer(dataDir);
        return AdminCommands.signed(base != null ? base : "http://127.0.0.1:8080", file, method.toUpperCase(Locale.ROOT), path,
                data == null ? null : data.getBytes(StandardCharsets.UTF_8));
    }
}
