package dev.atelier.api.http;

import io.javalin.config.RoutesConfig;

/** A group of routes the HTTP adapter serves: each view (v1, legacy, identity, gateway…) is one module. */
public interface RouteModule {

    /** Adds the module's routes; authentication and the project check run before every one of them. */
    void register(RoutesConfig routes);
}
