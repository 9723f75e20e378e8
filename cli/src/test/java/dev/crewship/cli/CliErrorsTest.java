package dev.crewship.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures end as one line on stderr and a non-zero exit code, without a server or before reaching one. */
class CliErrorsTest {
    @TempDir
    Path dir;

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private CliRunner.Result run(Map<String, String> env, String... args) {
        return new CliRunner(dir, env).run(args);
    }

    @Test
    void anUnreachableServerIsOneLineWithWhatToDo() throws IOException {
        String url = "http://127.0.0.1:" + closedPort();

        CliRunner.Result result = run(Map.of("CREWSHIP_URL", url, "CREWSHIP_API_KEY", "csk_x"), "runs", "list");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).isEqualTo("error: cannot reach the Crewship server at " + url
                + ": connection refused (start it with 'crewship server' or set CREWSHIP_URL)\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void noKeyIsOneLineWithTheThreeWaysToGiveOne() {
        CliRunner.Result result = run(Map.of(), "runs", "get", "run_1");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.err()).startsWith("error: no API key for http://127.0.0.1:8080");
    }

    @Test
    void invalidInputJsonStopsBeforeAnythingIsSent() throws IOException {
        // A closed port: had the CLI tried to send, the error would be about the connection.
        CliRunner.Result result = run(Map.of("CREWSHIP_URL", "http://127.0.0.1:" + closedPort(), "CREWSHIP_API_KEY", "csk_x"),
                "invoke", "--project", "p1x", "--input", "{\"topic\": ");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.err()).startsWith("error: --input is not valid JSON").contains("nothing was sent");
    }

    @Test
    void anInputFileIsReadByInvokeNotExpandedIntoArguments() throws IOException {
        Files.writeString(dir.resolve("input.json"), "{\"topic\": ");

        CliRunner.Result result = run(Map.of("CREWSHIP_URL", "http://127.0.0.1:" + closedPort(), "CREWSHIP_API_KEY", "csk_x"),
                "invoke", "--project", "p1x", "--input", "@input.json");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: input.json is not valid JSON").contains("nothing was sent");
    }

    @Test
    void deployWithoutCrewshipTomlPointsToInit() {
        CliRunner.Result result = run(Map.of("CREWSHIP_API_KEY", "csk_x"), "deploy", "--project", "demo");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.err()).startsWith("error: no crewship.toml in ").contains("crewship init");
    }

    @Test
    void wrongUsageIsOneLineAndExitCodeTwo() {
        CliRunner.Result unknownOption = run(Map.of(), "runs", "list", "--colour");
        assertThat(unknownOption.exitCode()).isEqualTo(2);
        assertThat(unknownOption.err()).isEqualTo("error: Unknown option: '--colour' (see 'crewship runs list --help')\n");

        CliRunner.Result missing = run(Map.of(), "runs", "download");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err().lines()).hasSize(1);
        assertThat(missing.err()).contains("RUN_ID");
    }

    @Test
    void debugAddsTheDetails() throws IOException {
        CliRunner.Result result = run(Map.of("CREWSHIP_URL", "http://127.0.0.1:" + closedPort(), "CREWSHIP_API_KEY", "csk_x"),
                "runs", "list", "--debug");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.err()).startsWith("error: cannot reach").contains("\tat dev.crewship.cli.api.ApiClient");
    }

    @Test
    void setAndDownloadArgumentsAreCheckedBeforeAnyCall() {
        Map<String, String> env = Map.of("CREWSHIP_API_KEY", "csk_x");
        assertThat(run(env, "env", "set", "NOVALUE", "--project", "demo").err()).startsWith("error: 'NOVALUE' is not NAME=value");
        assertThat(run(env, "runs", "download", "run_1").err()).startsWith("error: which artifact?");
        assertThat(run(env, "runs", "download", "run_1", "a.md", "--all").err()).startsWith("error: give either an artifact NAME or --all");
        assertThat(run(env, "projects", "create", "Bad_Name").err()).startsWith("error: 'Bad_Name' is not a valid project name");
        assertThat(run(env, "projects", "delete", "demo").err()).contains("pass --yes");
    }

    @Test
    void helpAndVersionWork() {
        CliRunner.Result help = run(Map.of(), "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("deploy").contains("invoke").contains("runs").contains("server");
        assertThat(run(Map.of(), "--version").out()).startsWith("crewship ");
    }
}
