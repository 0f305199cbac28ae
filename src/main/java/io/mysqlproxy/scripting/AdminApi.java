package io.mysqlproxy.scripting;

import java.util.List;

/**
 * What an admin script may read and change of the running proxy, as the global {@code admin} shows it. The
 * proxy implements it; the scripting package only turns it into Lua.
 */
public interface AdminApi {
    /** The names {@link #table(String)} knows, in the order {@code SELECT * FROM help} lists them. */
    List<String> tables();

    /** The table {@code name} as of now, or null when there is none by that name. */
    Table table(String name);

    /** Takes backend {@code id} (as numbered in the backends table) out of service, or back in. */
    String setBackendOnline(int id, boolean online);

    /** Closes client connection {@code id}; false when there is none. */
    boolean kill(long id);

    /** Re-reads the proxy's Lua script; throws with the reason when it is rejected. */
    String reloadScript();

    /** Forgets the statistics of the query digests. */
    void resetQueryDigests();

    /** Rows of one table; values are Strings, Numbers or null. */
    record Table(List<Column> columns, List<List<Object>> rows) {
    }

    record Column(String name, boolean numeric) {
    }
}
