package dev.crewship.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the distribution jar ({@code bin/crewship}). Every failure ends as one
 * {@code error: …} line on stderr and a non-zero exit code; {@code --debug} adds the stack trace.
 */
public final class CrewshipCli {
    /** Exit code of wrong usage (unknown option, missing argument), as picocli has it. */
    public static final int USAGE = 2;
    /** picocli's narrowest usage help. */
    private static final int MIN_HELP_WIDTH = 55;

    private CrewshipCli() {
    }

    public static void main(String[] args) {
        if (!versionOnly(args)) {
            Thread.ofPlatform().daemon().name("prepare-jdk").start(CrewshipCli::prepareJdk);
        }
        int code = run(args, CliContext.ofProcess());
        System.exit(code);
    }

    /**
     * Two costs of the JDK that every command calling the server pays once, whatever its command line,
     * done on a thread of their own so that they overlap with building the command model (on a second
     * core) instead of following it: initialising {@link java.math.BigDecimal}, which Jackson's parser
     * needs and whose initialiser computes 5^65536 on JDK 25 (15-35 ms of interpreted arithmetic), and
     * finding the handler of {@code http:} URLs, which scans the class path for handler providers
     * (opening the jar). Both are thread-safe; whichever thread comes first does the work.
     */
    private static void prepareJdk() {
        try {
            Class.forName("java.math.BigDecimal");
            URI.create("http://127.0.0.1/").toURL();
        } catch (ClassNotFoundException | MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one command line and returns its exit code. */
    public static int run(String[] args, CliContext context) {
        CrewshipCommand root = new CrewshipCommand(context);
        CommandFactory factory = new CommandFactory(root);
        CommandLine commandLine = new CommandLine(root, factory);
        addSubcommands(commandLine, factory, args);
        // Help fits the terminal (bin/crewship passes its width). Not picocli's usageHelpAutoWidth:
        // that asks System.console() and runs 'stty' as each subcommand is added, for every command.
        commandLine.setUsageHelpWidth(Math.max(MIN_HELP_WIDTH, context.terminal().columns()));
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
            context.out().flush();
        }
    }

    /**
     * Registers only what the arguments name: the subcommand and, of a command group such as
     * {@code runs}, only the named command ({@code list}); all of them when none or an unknown one is
     * named (help, or a typo to suggest corrections for). {@code --version} alone registers none.
     * Building picocli's model of a command costs reflection on every class, method and parameter it
     * touches: most of the CLI's start-up when every command is built.
     */
    private static void addSubcommands(CommandLine commandLine, CommandLine.IFactory factory, String[] args) {
        List<String> words = words(args);
        String requested = words.isEmpty() || !CrewshipCommand.SUBCOMMANDS.containsKey(words.getFirst()) ? null : words.getFirst();
        if (requested == null && versionOnly(args)) {
            return;
        }
        CrewshipCommand.SUBCOMMANDS.forEach((name, type) -> {
            if (requested == null || requested.equals(name)) {
                commandLine.addSubcommand(name, command(type, factory, requested == null || words.size() < 2 ? null : words.get(1)));
            }
        });
    }

    /**
     * The command of {@code type}; for a group of {@code @Command} methods with
     * {@code addMethodSubcommands = false}, with only the method named {@code child}, or all when it names none.
     */
    private static CommandLine command(Class<?> type, CommandLine.IFactory factory, String child) {
        CommandLine command = new CommandLine(type, factory);
        if (!command.getSubcommands().isEmpty()) {
            return command;
        }
        List<Method> methods = CommandLine.getCommandMethods(type, null);
        boolean known = methods.stream().anyMatch(method -> method.getAnnotation(Command.class).name().equals(child));
        for (Method method : methods) {
            String name = method.getAnnotation(Command.class).name();
            if (!known || name.equals(child)) {
                command.addSubcommand(name, new CommandLine(method, factory));
            }
        }
        return command;
    }

    /** The arguments that are neither options nor the value of {@code --url}/{@code --api-key}, in order. */
    static List<String> words(String[] args) {
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--url") || arg.equals("--api-key")) {
                i++;
            } else if (!arg.startsWith("-")) {
                words.add(arg);
            }
        }
        return words;
    }

    /** {@code crewship --version} (or {@code -V}) without a command or help: nothing else is needed to answer. */
    private static boolean versionOnly(String[] args) {
        List<String> list = Arrays.asList(args);
        return (list.contains("--version") || list.contains("-V")) && !list.contains("--help") && !list.contains("-h");
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
