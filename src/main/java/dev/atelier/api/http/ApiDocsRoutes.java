package dev.atelier.api.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The API described: {@code GET /openapi.json} (the OpenAPI document, src/main/resources/openapi/atelier.json) and
 * {@code GET /api-docs/}, Swagger UI from its WebJar, served by Atelier itself (no CDN) and pointed at that document.
 * No credentials needed: the document says what the API is, nothing about who uses it.
 */
public final class ApiDocsRoutes implements RouteModule {
    static final String DOCUMENT = "openapi/atelier.json";
    /** The files of the WebJar the page needs, and their types: nothing else of it is served. */
    private static final Map<String, String> UI_FILES = Map.of(
            "swagger-ui.css", "text/css; charset=utf-8",
            "swagger-ui-bundle.js", "text/javascript; charset=utf-8",
            "swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8",
            "favicon-32x32.png", "image/png");
    private static final String PAGE = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>Atelier API</title>
              <link rel="stylesheet" href="swagger-ui.css">
              <link rel="icon" type="image/png" href="favicon-32x32.png">
            </head>
            <body>
              <div id="swagger-ui"></div>
              <script src="swagger-ui-bundle.js"></script>
              <script src="swagger-ui-standalone-preset.js"></script>
              <script src="init.js"></script>
            </body>
            </html>
            """;
    private static final String INIT = """
            window.onload = function () {
              window.ui = SwaggerUIBundle({
                url: "../openapi.json",
                dom_id: "#swagger-ui",
                deepLinking: true,
                presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
                layout: "StandaloneLayout"
              });
            };
            """;

    private final byte[] document;
    private final String webjar;

    public ApiDocsRoutes() {
        this.document = resource(DOCUMENT);
        this.webjar = "META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/";
    }

    @Override
    public void register(RoutesConfig routes) {
        routes.get("/openapi.json", ctx -> ctx.contentType("application/json").result(document));
        routes.get("/api-docs/", ctx -> {
            if (!ctx.req().getRequestURI().endsWith("/")) { // the page's files are named relative to the folder
                ctx.redirect("/api-docs/");
                return;
            }
            page(ctx).contentType("text/html; charset=utf-8").result(PAGE);
        });
        routes.get("/api-docs/{file}", this::file);
    }

    private void file(Context ctx) {
        String name = ctx.pathParam("file");
        if (name.equals("init.js")) {
            page(ctx).contentType("text/javascript; charset=utf-8").result(INIT);
            return;
        }
        String type = UI_FILES.get(name);
        if (type == null) {
            throw new io.javalin.http.NotFoundResponse();
        }
        ctx.header("Cache-Control", "public, max-age=86400");
        page(ctx).contentType(type).result(resource(webjar + name));
    }

    /** The page and its scripts come from this server only. */
    private static Context page(Context ctx) {
        return ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
                        + "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
                .header("X-Content-Type-Options", "nosniff");
    }

    private static String swaggerUiVersion() {
        Properties p = new Properties();
        try (InputStream in = stream("META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static byte[] resource(String path) {
        try (InputStream in = stream(path)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream stream(String path) {
        InputStream in = ApiDocsRoutes.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("missing from the build: " + path);
        }
        return in;
    }
}
