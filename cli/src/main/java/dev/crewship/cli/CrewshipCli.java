package dev.crewship.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * Entry point of the distribution jar ({@code bin/crewship}). Every failure ends as one
 * {@code error: …} line on stderr and a non-zero exit code; {@code --debug} adds the stack trace.
 */
public final class CrewshipCli {
    /** Exit code of wrong usage (unknown option, missing argument), as picocli has it. */
    public static final int USAGE = 2;

    private CrewshipCli() {
    }

    public static void main(String[] args) {
        int code = run(args, CliContext.ofProcess());
        System.exit(code);
    }

    /** Runs one command line and returns its exit code. */
    public static int run(String[] args, CliContext context) {
        CrewshipCommand root = new CrewshipCommand(context);
        CommandLine commandLine = new CommandLine(root, new CommandFactory(root));
        addSubcommands(commandLine, args);
        // '@file' arguments are the CLI's own (--input @input.json), not picocli's argument files.
        commandLine.setExpandAtFiles(false);
        commandLine.setOut(new PrintWriter(context.out(), true));
        commandLine.setErr(new PrintWriter(context.err(), true));
        commandLine.setColorScheme(CommandLine.Help.defaultColorScheme(
                context.terminal().stdoutAnsi().enabled() ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF));
        commandLine.setParameterExceptionHandler((e, unmatched) -> usageError(e, context));
        commandLine.setExecutionExceptionHandler((e, cl, parsed) -> failure(e, root, context));
        try {
            return commandLine.execute(args);
        } finally {
            root.close();
            context.out().flush();
        }
    }

    /**
     * Registers only the subcommand the arguments name, or all of them when none is named (help, or a
     * typo to suggest corrections for). Building picocli's model of a command costs reflection on
     * every class it touches, a large share of the CLI's start-up.
     */
    private static void addSubcommands(CommandLine commandLine, String[] args) {
        String requested = requestedSubcommand(args);
        CrewshipCommand.SUBCOMMANDS.forEach((name, type) -> {
            if (requested == null || requested.equals(name)) {
                commandLine.addSubcommand(name, type);
            }
        });
    }

    /** The first argument that is neither an option nor the value of {@code --url}/{@code --api-key}, if it names a subcommand. */
    static String requestedSubcommand(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--url") || arg.equals("--api-key")) {
                i++;
            } else if (!arg.startsWith("-")) {
                return CrewshipCommand.SUBCOMMANDS.containsKey(arg) ? arg : null;
            }
        }
        return null;
    }

    private static int usageError(CommandLine.ParameterException e, CliContext context) {
        String command = e.getCommandLine().getCommandSpec().qualifiedName();
        printError(context, e.getMessage() + " (see '" + command + " --help')");
        return USAGE;
    }

    private static int failure(Exception e, CrewshipCommand root, CliContext context) {
        if (e instanceof CliException cli) {
            printError(context, cli.getMessage());
            printDetails(e, root, context);
            return cli.exitCode();
        }
        String message = e.getMessage() == null ? "" : ": " + e.getMessage();
        printError(context, "unexpected " + e.getClass().getSimpleName() + message
                + (root.debug() ? "" : " (run again with --debug for details)"));
        printDetails(e, root, context);
        return CliException.FAILURE;
    }

    private static void printDetails(Exception e, CrewshipCommand root, CliContext context) {
        if (root.debug()) {
            e.printStackTrace(context.err());
        }
    }

    private static void printError(CliContext context, String message) {
        PrintStream err = context.err();
        context.out().flush();
        err.println(context.terminal().stderrAnsi().red("error:") + " " + message);
    }
}
