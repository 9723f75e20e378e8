package dev.crewship.server.http;

import io.javalin.config.RoutesConfig;

/** The HTTP routes of one feature; {@code CrewshipServer} registers every group on the router. */
@FunctionalInterface
public interface Routes {
    void register(RoutesConfig routes);
}
