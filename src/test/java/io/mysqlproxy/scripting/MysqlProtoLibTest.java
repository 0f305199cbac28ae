package io.mysqlproxy.scripting;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** mysql.proto and mysql.password as scripts call them. */
class MysqlProtoLibTest {
    private final LuaTestState lua = new LuaTestState();

    @AfterEach
    void stop() {
        lua.close();
    }

    @Test
    void okErrAndEofPacketsRoundTrip() {
        assertThat(lua.run("""
                local proto = require("mysql.proto")
                local ok = proto.from_ok_packet(proto.to_ok_packet({ affected_rows = 3, insert_id = 42, warnings = 1 }))
                local err = proto.from_err_packet(proto.to_err_packet({ errmsg = "nope", errcode = 1045 }))
                local eof = proto.from_eof_packet(proto.to_eof_packet({ warnings = 2, server_status = 3 }))
                return table.concat({ ok.affected_rows, ok.insert_id, ok.warnings, err.errmsg, err.errcode,
                  err.sqlstate, eof.warnings, eof.server_status }, " ")
                """)).isEqualTo("3 42 1 nope 1045 07000 2 3");
    }

    @Test
    void decodesAStatementExecutionWithItsParameters() {
        // COM_STMT_EXECUTE of statement 7, no cursor, 1 iteration, 5 parameters (the fourth NULL), types bound:
        // LONGLONG -5, unsigned TINY 200, VAR_STRING "hi", NULL, DATETIME 2010-10-17 19:27:30.000001
        assertThat(lua.run("""
                local proto = require("mysql.proto")
                local packet = string.char(0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0,
                  0x08,                   -- null bitmap: the fourth parameter
                  1,                      -- new params bound
                  8, 0, 1, 0x80, 253, 0, 6, 0, 12, 0,
                  0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                  200,
                  2, 104, 105,
                  11, 0xda, 0x07, 10, 17, 19, 27, 30, 1, 0, 0, 0)
                local e = proto.from_stmt_execute_packet(packet, 5)
                local p = e.params
                return table.concat({ e.stmt_id, e.flags, e.iteration_count, tostring(e.new_params_bound),
                  p[1].type, p[1].value, p[2].value, p[3].value, tostring(p[4].value), p[5].value,
                  proto.stmt_id_from_stmt_execute_packet(packet) }, "|")
                """)).isEqualTo("7|0|1|true|8|-5|200|hi|nil|2010-10-17 19:27:30.000001|7");
    }

    @Test
    void passwordHelpersAgreeWithTheServerSide() {
        assertThat(lua.run("""
                local password = require("mysql.password")
                local challenge = "01234567890123456789"
                local hashed = password.hash("secret")
                local response = password.scramble(challenge, hashed)
                local stored = password.hash(hashed)
                return tostring(password.check(challenge, response, stored)) .. " "
                  .. tostring(password.check(challenge, response, password.hash(password.hash("other")))) .. " "
                  .. tostring(password.unscramble(challenge, response, stored) == hashed) .. " " .. #response
                """)).isEqualTo("true false true 20");
    }
}
