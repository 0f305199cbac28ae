package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a failed hook call reads: for the client, Lua's own form ({@code main.lua:3: attempt to index ...}, no
 * traceback); for the log, that and the traceback. LuaJ writes a position as {@code chunk:line message} and appends
 * the traceback to the message itself.
 */
final class LuaErrors {
    private static final String TRACEBACK = "\nstack traceback:";
    /** LuaJ's position of a runtime error: the chunk's source as given (a file's begins with '@'), its line. */
    private static final Pattern POSITION = Pattern.compile("^[@=]?(\\S[^\\n]*?:(?:\\d+|\\?)) (.*)$", Pattern.DOTALL);

    private LuaErrors() {
    }

    /** The error as the client is told it. */
    static String message(Throwable e) {
        if (e instanceof StackOverflowError) {
            return "stack overflow";
        }
        if (e instanceof OutOfMemoryError) {
            // the script built something larger than the heap between two checks; it is garbage once the call failed
            return "script interrupted: out of memory";
        }
        String text = String.valueOf(e.getMessage());
        int trace = text.indexOf(TRACEBACK);
        return positioned(trace < 0 ? text : text.substring(0, trace));
    }

    /** The error with the traceback LuaJ recorded, for the log. */
    static String withTraceback(Throwable e) {
        String text = String.valueOf(e.getMessage());
        int trace = e instanceof LuaError ? text.indexOf(TRACEBACK) : -1;
        return trace < 0 ? message(e) : message(e) + text.substring(trace);
    }

    private static String positioned(String text) {
        Matcher m = POSITION.matcher(text);
        return m.matches() ? m.group(1) + ": " + m.group(2) : text;
    }

    /** A chunk name as tracebacks show it: a file's name, or {@code [string "..."]} for code loaded from a string. */
    static String chunkId(String source) {
        if (source.startsWith("=") || source.startsWith("@")) {
            return source.substring(1);
        }
        int newline = source.indexOf('\n');
        if (newline < 0 && source.length() <= 60 && !source.contains(" ")) {
            return source;
        }
        String first = newline < 0 ? source : source.substring(0, newline);
        boolean cut = newline >= 0 || first.length() > 40;
        return "[string \"" + (first.length() > 40 ? first.substring(0, 40) : first) + (cut ? "...\"]" : "\"]");
    }
}
