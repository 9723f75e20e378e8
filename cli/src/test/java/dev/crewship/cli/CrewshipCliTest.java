package dev.crewship.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI builds only the commands a command line names; help, typos and --version still work. */
class CrewshipCliTest {
    @TempDir
    Path dir;

    private CliRunner.Result run(String... args) {
        return new CliRunner(dir, Map.of()).run(args);
    }

    @Test
    void wordsAreTheArgumentsThatAreNeitherOptionsNorTheirValues() {
        assertThat(CrewshipCli.words(new String[] {"--url", "http://x", "--debug", "runs", "--api-key", "k", "get", "run_1", "--json"}))
                .containsExactly("runs", "get", "run_1");
    }

    @Test
    void helpListsEveryCommand() {
        CliRunner.Result result = run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains(CrewshipCommand.SUBCOMMANDS.keySet());
    }

    @Test
    void aGroupsHelpListsEveryCommandOfTheGroup() {
        CliRunner.Result result = run("runs", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("list", "get", "events", "cancel", "artifacts", "download");
    }

    @Test
    void aCommandOfAGroupRunsWithItsOwnOptions() {
        CliRunner.Result result = run("runs", "download", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: crewship runs download").contains("--all", "--force");
    }

    @Test
    void aTypoInAGroupIsAUsageErrorOnOneLine() {
        CliRunner.Result result = run("runs", "lst");

        assertThat(result.exitCode()).isEqualTo(CrewshipCli.USAGE);
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.err()).startsWith("error: Unmatched argument at index 1: 'lst'");
    }

    @Test
    void versionAloneNeedsNoCommand() {
        CliRunner.Result result = run("--version");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("crewship ");
    }
}
