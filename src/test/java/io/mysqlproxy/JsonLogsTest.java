package io.mysqlproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLogsTest {
    @Test
    void oneParsableObjectPerLineWhateverTheMessageHolds() throws Exception {
        ExtLogRecord r = new ExtLogRecord(Level.WARNING, "client \"%s\" sent\tgarbage\n\u0001", ExtLogRecord.FormatStyle.PRINTF,
                "x");
        r.setParameters(new Object[] {"a\\b"});
        r.setLoggerName("io.mysqlproxy.core.ClientSession");
        r.setThrown(new IllegalStateException("boom"));
        String line = new JsonLogs().format(r);
        assertThat(line).endsWith("}\n").doesNotContain("\n{").hasLineCount(1);
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("level").asText()).isEqualTo("WARNING");
        assertThat(json.get("logger").asText()).isEqualTo("io.mysqlproxy.core.ClientSession");
        assertThat(json.get("message").asText()).isEqualTo("client \"a\\b\" sent\tgarbage\n\u0001");
        assertThat(json.get("exception").asText()).startsWith("java.lang.IllegalStateException: boom");
        assertThat(json.get("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
    }
}
