package io.mysqlproxy.core;

import io.mysqlproxy.scripting.Script;

import java.util.List;

/** What an admin interface may read and change of the running proxy, and nothing more. */
public interface AdminView {
    /** The running listeners, in the order they were opened. */
    List<Listener> listeners();

    /** Re-reads every listener's script; throws when one is rejected or none is configured. */
    List<Script> reloadScripts();

    /** Re-reads listener {@code name}'s script; throws when it is rejected or there is none. */
    List<Script> reloadScript(String name);
}
