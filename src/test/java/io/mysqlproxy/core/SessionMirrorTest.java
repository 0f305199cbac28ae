package io.mysqlproxy.core;

import io.mysqlproxy.protocol.Commands;
import io.mysqlproxy.sql.PinReason;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one record of the client's session state: default database, replayed SETs, last insert id and pin. */
class SessionMirrorTest {
    @Test
    void theDefaultDatabaseFollowsInitDbAndUseWhateverTheirQuoting() {
        SessionMirror mirror = new SessionMirror();
        mirror.loggedIn("shop");
        assertThat(mirror.database()).isEqualTo("shop");
        mirror.commandSucceeded(Commands.payloadBytes(Commands.COM_INIT_DB, "billing"));
        assertThat(mirror.database()).isEqualTo("billing");
        mirror.commandSucceeded(Commands.payloadBytes(Commands.COM_QUERY, "  use `odd``name` "));
        assertThat(mirror.database()).isEqualTo("odd`name");
        mirror.commandSucceeded(Commands.payloadBytes(Commands.COM_QUERY, "SELECT 'use other'"));
        mirror.commandSucceeded(Commands.payloadBytes(Commands.COM_QUERY, "user_defined_call()"));
        mirror.commandSucceeded(Commands.payloadBytes(Commands.COM_PING, null));
        mirror.commandSucceeded(new byte[0]);
        assertThat(mirror.database()).isEqualTo("odd`name");
    }

    @Test
    void aLoginNamingAnEmptyDatabaseHasNone() {
        SessionMirror mirror = new SessionMirror();
        mirror.loggedIn("");
        assertThat(mirror.database()).isNull();
    }

    @Test
    void setsAreNotedOnceInOrderUpToTheLimitAndAResetForgetsThemAndThePin() {
        SessionMirror mirror = new SessionMirror();
        assertThat(mirror.setApplied("SET NAMES utf8mb4")).isTrue();
        assertThat(mirror.setApplied("SET NAMES utf8mb4")).as("a repeat is not replayed twice").isFalse();
        assertThat(mirror.setApplied("SET @a = 1")).isTrue();
        assertThat(mirror.sets()).containsExactly("SET NAMES utf8mb4", "SET @a = 1");
        for (int i = mirror.sets().size(); i < SessionMirror.MAX_REPLAYED_SETS; i++) {
            assertThat(mirror.setsFull()).isFalse();
            mirror.setApplied("SET @v" + i + " = " + i);
        }
        assertThat(mirror.setsFull()).isTrue();
        mirror.lastInsertId(42);
        assertThat(mirror.pin(PinReason.SESSION_VARIABLE)).isTrue();
        mirror.reset();
        assertThat(mirror.sets()).isEmpty();
        assertThat(mirror.lastInsertId()).isZero();
        assertThat(mirror.pinned()).isNull();
    }

    @Test
    void aPinForSessionStateOutranksAScriptsPinWhichOnlyTheScriptLifts() {
        SessionMirror mirror = new SessionMirror();
        assertThat(mirror.pin(PinReason.SCRIPT)).isTrue();
        assertThat(mirror.pin(PinReason.SCRIPT)).isFalse();
        assertThat(mirror.pin(PinReason.TEMPORARY_TABLE)).isTrue();
        assertThat(mirror.unpinScript()).as("the script's pin was replaced").isFalse();
        assertThat(mirror.pinned()).isEqualTo(PinReason.TEMPORARY_TABLE);
        assertThat(mirror.pin(PinReason.USER_VARIABLE)).as("the first session-state pin stays").isFalse();

        SessionMirror scripted = new SessionMirror();
        scripted.pin(PinReason.SCRIPT);
        assertThat(scripted.unpinScript()).isTrue();
        assertThat(scripted.pinned()).isNull();
    }

    @Test
    void aTransactionIsReportedOnceWhenItBeginsAndKeepsTheConnectionUntilItEnds() {
        SessionMirror mirror = new SessionMirror();
        assertThat(mirror.transaction(true)).as("begun").isTrue();
        assertThat(mirror.transaction(true)).as("still open, not begun again").isFalse();
        assertThat(mirror.inTransaction()).isTrue();
        assertThat(mirror.transaction(false)).isFalse();
        assertThat(mirror.inTransaction()).isFalse();
    }
}
