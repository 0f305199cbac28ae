package io.mysqlproxy.scripting;

/**
 * A hook call used up its budget. An {@link Error}, not a {@code LuaError}: {@code pcall} and {@code xpcall} catch
 * only Lua errors and exceptions, so a script cannot catch its own interruption; where LuaJ catches every throwable
 * (a coroutine's body, an {@code xpcall} message handler) the next instruction of the interrupted call raises it
 * again (see {@link Budget}).
 */
final class ScriptInterrupted extends Error {
    ScriptInterrupted(String message) {
        super(message, null, false, false);
    }
}
