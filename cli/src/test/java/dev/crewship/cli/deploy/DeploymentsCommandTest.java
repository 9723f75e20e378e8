package dev.crewship.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crewship.cli.api.Json;
import org.junit.jupiter.api.Test;

class DeploymentsCommandTest {
    @Test
    void thePreviousDeploymentIsTheNewestReadyOneOlderThanTheCurrent() throws Exception {
        var newestFirst = Json.parse("""
                [{"id":"dep_5","status":"failed","current":false},
                 {"id":"dep_4","status":"ready","current":true},
                 {"id":"dep_3","status":"failed","current":false},
                 {"id":"dep_2","status":"ready","current":false},
                 {"id":"dep_1","status":"ready","current":false}]
                """);

        assertThat(DeploymentsCommand.previousOf(newestFirst)).isEqualTo("dep_2");
    }

    @Test
    void thereIsNoPreviousWithoutACurrentOrAnOlderReadyOne() throws Exception {
        assertThat(DeploymentsCommand.previousOf(Json.parse("[{\"id\":\"dep_1\",\"status\":\"ready\",\"current\":true}]"))).isNull();
        assertThat(DeploymentsCommand.previousOf(Json.parse("[{\"id\":\"dep_1\",\"status\":\"building\",\"current\":false}]"))).isNull();
    }
}
