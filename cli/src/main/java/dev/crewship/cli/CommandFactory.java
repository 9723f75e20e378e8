package dev.crewship.cli;

import java.lang.reflect.Constructor;
import picocli.CommandLine;

/**
 * Creates subcommands, handing each the {@link CrewshipCommand} (global options, API client, output)
 * through its constructor instead of a static.
 */
final class CommandFactory implements CommandLine.IFactory {
    private final CrewshipCommand root;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    CommandFactory(CrewshipCommand root) {
        this.root = root;
    }

    @Override
    public <K> K create(Class<K> type) throws Exception {
        if (type == CrewshipCommand.class) {
            return type.cast(root);
        }
        try {
            Constructor<K> constructor = type.getDeclaredConstructor(CrewshipCommand.class);
            constructor.setAccessible(true);
            return constructor.newInstance(root);
        } catch (NoSuchMethodException e) {
            return fallback.create(type);
        }
    }
}
