package dev.crewship.cli.thread;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.cli.CliRunner;
import dev.crewship.server.CrewshipServer;
import dev.crewship.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The thread commands against a real server (in-process, real store, real sandboxed runs) with
 * examples/chat deployed by the CLI itself: threads create | get | list | history | delete,
 * invoke --thread, and chat reading its messages from stdin.
 */
class ThreadCommandsTest {
    private static Path root;
    private static Path crew;
    private static CrewshipServer server;
    private static Map<String, String> env;

    @BeforeAll
    static void start() throws IOException {
        root = Files.createTempDirectory("crewship-cli-threads-");
        // Sandboxed runs (another uid) must traverse every folder above the deployment's source.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx--x--x"));
        server = CrewshipServer.start(ServerConfig.defaults(root.resolve("data")).withPort(0));
        env = Map.of("CREWSHIP_URL", server.url(), "CREWSHIP_API_KEY", Files.readString(root.resolve("data/admin-key")).strip());
        crew = copy(repositoryRoot().resolve("examples/chat"), root.resolve("chat"));
        CliRunner.Result deployed = cli(crew).run("deploy", "--project", "chat");
        assertThat(deployed.exitCode()).as(deployed.err()).isZero();
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Test
    void aThreadIsCreatedRunInShownInHistoryAndDeleted() {
        CliRunner.Result created = cli(crew).run("threads", "create", "--project", "chat", "--metadata", "user=alice");
        assertThat(created.exitCode()).as(created.err()).isZero();
        String thread = created.out().strip();
        assertThat(thread).startsWith("thr_");

        CliRunner.Result first = cli(crew).run("invoke", "--thread", thread, "--input", "{\"message\": \"Research AI agents in healthcare\"}", "--wait");
        assertThat(first.exitCode()).as(first.err()).isZero();
        CliRunner.Result second = cli(crew).run("invoke", "--thread", thread, "--input", "{\"message\": \"Now focus on diagnostic applications\"}", "--wait");
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.out()).contains("Research brief: diagnostic applications of AI agents in healthcare")
                .contains("Building on what you asked before: \\\"Research AI agents in healthcare\\\".");

        CliRunner.Result shown = cli(crew).run("threads", "get", thread);
        assertThat(shown.out()).contains("idle").contains("user=alice").contains("\"topic\" : \"AI agents in healthcare\"");
        CliRunner.Result history = cli(crew).run("threads", "history", thread);
        assertThat(history.out().lines().filter(line -> line.startsWith("ckpt_"))).hasSize(2);
        assertThat(cli(crew).run("threads", "list", "--metadata", "user=alice").out()).contains(thread);
        assertThat(cli(crew).run("threads", "list", "--metadata", "user=bob").out()).doesNotContain(thread);

        CliRunner.Result forked = cli(crew).run("threads", "fork", thread);
        assertThat(forked.exitCode()).as(forked.err()).isZero();
        String fork = forked.out().strip();
        assertThat(fork).startsWith("thr_").isNotEqualTo(thread);
        assertThat(cli(crew).run("threads", "get", fork).out()).contains("\"topic\" : \"AI agents in healthcare\"");

        assertThat(cli(crew).run("threads", "delete", thread).out()).isEqualTo("Deleted " + thread + "\n");
        CliRunner.Result gone = cli(crew).run("threads", "get", thread);
        assertThat(gone.exitCode()).isEqualTo(1);
        assertThat(gone.err()).startsWith("error: thread " + thread + " not found").contains("crewship threads list");
    }

    @Test
    void chatRunsEachLineInTheThreadAndTheCrewRemembers() {
        CliRunner.Result chat = cli(crew)
                .stdin("Research AI agents in healthcare\n\nNow focus on diagnostic applications\n/exit\nnever sent\n")
                .run("chat", "--project", "chat", "--quiet");

        assertThat(chat.exitCode()).as(chat.err()).isZero();
        assertThat(chat.out()).isEqualTo("""
                Research brief: AI agents in healthcare
                - What AI agents in healthcare are, in one paragraph.
                - Who works on AI agents in healthcare, and what they ship.
                - Open questions about AI agents in healthcare.
                Research brief: diagnostic applications of AI agents in healthcare
                - Where diagnostic applications stand today in AI agents in healthcare.
                - Who builds diagnostic applications, and what evidence supports them.
                - Open questions on diagnostic applications: validation, safety and regulation.

                Building on what you asked before: "Research AI agents in healthcare".
                """);
        String thread = chat.err().replaceFirst("(?s).*Started thread (thr_\\w+).*", "$1");
        assertThat(thread).startsWith("thr_");
        assertThat(chat.err()).contains("'crewship chat " + thread + "' continues it");

        CliRunner.Result resumed = cli(crew).stdin("What did I ask first?\n").run("chat", thread);
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("run.completed").contains("agent.started");
        assertThat(resumed.out()).contains("Building on what you asked before: \"Research AI agents in healthcare\"; \"Now focus on diagnostic applications\".");
    }

    @Test
    void badArgumentsAreOneLineAndSendNothing() {
        CliRunner.Result both = cli(crew).run("invoke", "--thread", "thr_x", "--project", "chat");
        assertThat(both.exitCode()).isEqualTo(1);
        assertThat(both.err()).startsWith("error: --thread runs the thread's own deployment");
        CliRunner.Result label = cli(crew).run("threads", "create", "--metadata", "novalue");
        assertThat(label.err()).isEqualTo("error: 'novalue' is not KEY=VALUE (a metadata label); nothing was sent\n");
        CliRunner.Result missing = cli(crew).run("invoke", "--thread", "thr_missing", "--input", "{}");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: thread thr_missing not found");
    }

    private static CliRunner cli(Path dir) {
        return new CliRunner(dir, env);
    }

    private static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(dir.resolve("examples/chat"))) {
            dir = dir.getParent();
        }
        return dir;
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.filter(p -> !p.toString().contains("__pycache__")).toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
        return to;
    }
}
