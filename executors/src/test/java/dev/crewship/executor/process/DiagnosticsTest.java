package dev.crewship.executor.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.run.RunError;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small pieces that turn raw output into lines and failures into messages. */
class DiagnosticsTest {

    @Test
    void linesAreCutAtTheLimitAndTheRestOfTheLineIsSkipped() throws Exception {
        byte[] input = "short\r\n0123456789abcdef\nnext\nlast without newline".getBytes(StandardCharsets.UTF_8);
        BoundedLineReader reader = new BoundedLineReader(new ByteArrayInputStream(input), 10);

        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("short", 6, false));
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("0123456789", 16, true));
        assertThat(reader.next()).isEqualTo(new BoundedLineReader.Line("next", 4, false));
        assertThat(reader.next().truncated()).isTrue();
        assertThat(reader.next()).isNull();
    }

    @Test
    void theBuildFailureReasonIsTheLastErrorWithItsCause() {
        assertThat(BuildStep.reason(List.of(
                "Using Python 3.11.2 environment at: x",
                "error: No solution found when resolving dependencies",
                "  cause: Because nope was not found in the package registry, your requirements are unsatisfiable.",
                "hint: try something"), 1))
                .isEqualTo("No solution found when resolving dependencies: Because nope was not found in the package registry,"
                        + " your requirements are unsatisfiable.");
        assertThat(BuildStep.reason(List.of(
                "ERROR: Could not find a version that satisfies the requirement nope (from versions: none)",
                "ERROR: No matching distribution found for nope",
                "[notice] A new release of pip is available"), 1))
                .isEqualTo("No matching distribution found for nope");
        assertThat(BuildStep.reason(List.of("something odd"), 2)).isEqualTo("something odd");
        assertThat(BuildStep.reason(List.of(), 2)).isEqualTo("exit status 2");
    }

    @Test
    void crewErrorsCausedByALimitNameTheLimit() {
        var config = CrewFixture.config(Duration.ofSeconds(60), 512, 48, false);

        RunError fork = FailureDiagnosis.explainCrewError(new RunError("BlockingIOError", "[Errno 11] Resource temporarily unavailable",
                "Traceback...\n  File \"crew.py\", line 3, in kickoff\n    os.fork()\nBlockingIOError: ..."), config);
        RunError socket = FailureDiagnosis.explainCrewError(new RunError("BlockingIOError", "[Errno 11] Resource temporarily unavailable",
                "Traceback...\n    sock.recv(10)\n"), config);
        RunError thread = FailureDiagnosis.explainCrewError(RunError.of("RuntimeError", "can't start new thread"), config);
        RunError memory = FailureDiagnosis.explainCrewError(RunError.of("MemoryError", ""), config);
        RunError plain = RunError.of("ValueError", "nope");

        assertThat(fork.type()).isEqualTo("BlockingIOError");
        assertThat(fork.message()).startsWith("the crew hit its process limit").contains("max_processes = 48")
                .endsWith(": [Errno 11] Resource temporarily unavailable");
        assertThat(socket.message()).isEqualTo("[Errno 11] Resource temporarily unavailable");
        assertThat(thread.message()).contains("max_processes = 48");
        assertThat(memory).isEqualTo(RunError.of("MemoryError", FailureDiagnosis.memoryMessage(config)));
        assertThat(memory.message()).contains("memory_mb = 512");
        assertThat(FailureDiagnosis.explainCrewError(plain, config)).isSameAs(plain);
    }

    @Test
    void durationsAreWrittenTheWayCrewshipTomlSpellsThem() {
        assertThat(HumanDuration.format(Duration.ofSeconds(30))).isEqualTo("30s");
        assertThat(HumanDuration.format(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(HumanDuration.format(Duration.ofMinutes(15))).isEqualTo("15m");
        assertThat(HumanDuration.format(Duration.ofHours(1))).isEqualTo("1h");
        assertThat(HumanDuration.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    }
}
