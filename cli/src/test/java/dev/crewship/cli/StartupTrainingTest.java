package dev.crewship.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The class data sharing training keeps matching the CLI: its commands succeed, or fail where they should. */
class StartupTrainingTest {
    @Test
    void everyTrainingCommandEndsAsExpected() throws IOException {
        Map<String, Integer> exitCodes = StartupTraining.exercise();

        assertThat(exitCodes).containsEntry("runs list", 0).containsEntry("runs events run_training", 0)
                .containsEntry("invoke --input {\"topic\": \"AI agents\"} --stream", 0)
                .containsEntry("runs get run_missing", 1)
                .containsEntry("invoke --input {\"topic\":  --wait", 1);
        exitCodes.forEach((line, code) -> {
            if (!line.equals("runs get run_missing") && !line.startsWith("invoke --input {\"topic\":  ")) {
                assertThat(code).as(line).isZero();
            }
        });
    }
}
