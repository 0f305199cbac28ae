package io.mysqlproxy.sql;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The statements causal reads run, in the server's own words: the primary's GTID position now, and a replica's wait
 * until it has applied a position. MariaDB and MySQL name them differently; both answer with one value.
 */
public enum GtidDialect {
    /** {@code gtid_binlog_pos} is what the primary has written; MASTER_GTID_WAIT answers 0, or -1 on timeout. */
    MARIADB("SELECT @@GLOBAL.gtid_binlog_pos", "SELECT MASTER_GTID_WAIT('%s', %s)"),
    /** {@code gtid_executed} is what the primary has committed; WAIT_FOR_EXECUTED_GTID_SET answers 0, or 1. */
    MYSQL("SELECT @@GLOBAL.gtid_executed", "SELECT WAIT_FOR_EXECUTED_GTID_SET('%s', %s)");

    /** What a GTID position may hold (MariaDB domain-server-sequence lists, MySQL uuid[:tag]:ranges sets). */
    private static final Pattern POSITION = Pattern.compile("[0-9A-Za-z_:,\\-\\s]*");

    private final String position;
    private final String wait;

    GtidDialect(String position, String wait) {
        this.position = position;
        this.wait = wait;
    }

    /** The dialect of a server by the version in its greeting. */
    public static GtidDialect of(String serverVersion) {
        return serverVersion.toLowerCase(Locale.ROOT).contains("mariadb") ? MARIADB : MYSQL;
    }

    /** The statement reading the primary's position. */
    public String positionQuery() {
        return position;
    }

    /**
     * The statement that waits until a replica has applied {@code gtids}, for {@code timeoutMillis} at most; null
     * when the position is not one (the proxy never puts a server's odd answer into a statement).
     */
    public String waitQuery(String gtids, long timeoutMillis) {
        if (gtids == null || !POSITION.matcher(gtids).matches()) {
            return null;
        }
        return String.format(Locale.ROOT, wait, gtids.replaceAll("\\s", ""), timeoutMillis / 1000.0);
    }

    /** Whether a wait's answer says the replica got there (else it timed out). */
    public boolean reached(String answer) {
        return "0".equals(answer);
    }
}
