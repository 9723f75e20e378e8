package dev.crewship.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.crewship.error.CrewshipException;
import dev.crewship.error.ProblemType;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CrewshipTomlTest {
    private static final String MINIMAL = """
            [deployment]
            framework = "crewai"
            entrypoint = "research_crew.crew:ResearchCrew"
            """;

    @Test
    void aMinimalFileGetsTheDocumentedDefaults() {
        DeploymentConfig config = CrewshipToml.parse(MINIMAL);

        assertThat(config.framework()).isEqualTo("crewai");
        assertThat(config.entrypoint()).isEqualTo("research_crew.crew:ResearchCrew");
        assertThat(config.python()).isEqualTo("3.11");
        assertThat(config.buildExclude()).isEmpty();
        assertThat(config.timeout()).isEqualTo(Duration.ofHours(1));
        assertThat(config.memoryMb()).isEqualTo(4096);
        assertThat(config.maxProcesses()).isEqualTo(256);
        assertThat(config.cpuTime()).isEqualTo(Duration.ofHours(1));
        assertThat(config.network()).isFalse();
        assertThat(config.llmTokens()).isFalse();
    }

    @Test
    void everyKeyIsRead() {
        DeploymentConfig config = CrewshipToml.parse(MINIMAL + """
                python = "3.12"
                profile = "slim"

                [build]
                exclude = ["tests", "*.csv"]

                [runtime]
                timeout = "15m"
                memory_mb = 1024
                max_processes = 64
                cpu_seconds = 120
                network = true
                llm_tokens = true
                """);

        assertThat(config.python()).isEqualTo("3.12");
        assertThat(config.buildExclude()).containsExactly("tests", "*.csv");
        assertThat(config.timeout()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.memoryMb()).isEqualTo(1024);
        assertThat(config.maxProcesses()).isEqualTo(64);
        assertThat(config.cpuTime()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.network()).isTrue();
        assertThat(config.llmTokens()).isTrue();
    }

    @ParameterizedTest
    @CsvSource({"'\"90s\"', 90", "'\"15m\"', 900", "'\"1h\"', 3600", "45, 45"})
    void timeoutsAreSecondsMinutesHoursOrANumber(String value, long seconds) {
        DeploymentConfig config = CrewshipToml.parse(MINIMAL + "[runtime]\ntimeout = " + value + "\n");

        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(seconds));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[deployment]\\nentrypoint = \"a:b\"                                     | framework is required",
            "[deployment]\\nframework = \"langgraph\"\\nentrypoint = \"a:b\"          | \"langgraph\" is not supported",
            "[deployment]\\nframework = \"crewai\"                                   | entrypoint is required",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"no-colon\"        | is not \"module:attribute\"",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a.b:c\"\\npython = \"three\" | is not a Python version",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\nprofile = \"fat\"   | profile = \"fat\" is not supported",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = 5                      | [deployment] entrypoint must be a string",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\nname = \"x\"  | unknown key \"name\" in [deployment]",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[extra]\\nx = 1 | unknown key \"extra\"",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[runtime]\\nmemroy_mb = 10 | unknown key \"memroy_mb\" in [runtime]",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[runtime]\\nmemory_mb = \"lots\" | [runtime] memory_mb must be a whole number",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[runtime]\\nmemory_mb = 10 | memory_mb = 10 is out of range",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[runtime]\\nnetwork = \"yes\" | [runtime] network must be true or false",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[runtime]\\ntimeout = \"soon\" | [runtime] timeout must be a duration",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[runtime]\\ntimeout = 0 | timeout must be more than 0 seconds",
            "[deployment]\\nframework = \"crewai\"\\nentrypoint = \"a:b\"\\n[build]\\nexclude = \"tests\" | [build] exclude must be a list of strings",
            "deployment = \"crewai\"                                                 | key \"deployment\" must be a table",
            "[build]\\nexclude = []                                                         | has no [deployment] table",
            "[deployment\\nentrypoint=                                                          | is not valid TOML",
    })
    void mistakesAreRejectedNamingTheKey(String toml, String expected) {
        assertThatThrownBy(() -> CrewshipToml.parse(toml.replace("\\n", "\n")))
                .isInstanceOfSatisfying(CrewshipException.class, e -> assertThat(e.type()).isEqualTo(ProblemType.INVALID_BUNDLE))
                .hasMessageStartingWith("crewship.toml")
                .hasMessageContaining(expected);
    }

    @Test
    void theEntrypointModuleMayBeAFileOrAPackageAtTheRootOrUnderSrc() {
        assertThat(CrewshipToml.moduleCandidates("research_crew.crew:ResearchCrew")).containsExactly(
                "research_crew/crew.py", "research_crew/crew/__init__.py", "src/research_crew/crew.py", "src/research_crew/crew/__init__.py");
        assertThat(CrewshipToml.moduleCandidates("probe:kickoff")).isEqualTo(List.of("probe.py", "probe/__init__.py", "src/probe.py", "src/probe/__init__.py"));
    }
}
