package io.mysqlproxy.core;

import io.mysqlproxy.scripting.Script;
import io.mysqlproxy.scripting.ScriptCompiler;
import io.mysqlproxy.scripting.ScriptException;
import io.mysqlproxy.scripting.ScriptRuntime;
import io.vertx.core.Vertx;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Re-reads the script file when its modification time or size changes, as MySQL Proxy did: a script that compiles
 * and runs is installed for the next command of every connection; one that does not is rejected and logged with
 * its Lua error, and the running script stays.
 */
final class ScriptWatcher {
    private static final Logger LOG = Logger.getLogger(ScriptWatcher.class);
    private static final long INTERVAL_MILLIS = 1000;

    private final Vertx vertx;
    private final ScriptRuntime scripts;
    private final Path path;
    private final ScriptCompiler compiler = new ScriptCompiler();
    private final long timer;
    private String seen;

    ScriptWatcher(Vertx vertx, ScriptRuntime scripts, Path path) {
        this.vertx = vertx;
        this.scripts = scripts;
        this.path = path;
        this.seen = stamp(path);
        this.timer = vertx.setPeriodic(INTERVAL_MILLIS, id -> vertx.executeBlocking(() -> {
            poll();
            return null;
        }, false));
    }

    private void poll() {
        String now = stamp(path);
        if (now != null && !now.equals(seen)) {
            seen = now;
            try {
                reload();
            } catch (ScriptException e) {
                LOG.errorf("script %s rejected, the running one stays: %s", path, e.getMessage());
            }
        }
    }

    /** Compiles, checks and installs the file now; throws {@link ScriptException} when it is rejected. */
    synchronized Script reload() {
        Script next = compiler.compileFile(path);
        if (next.checksum().equals(scripts.current().checksum())) {
            return scripts.current();
        }
        scripts.check(next);
        scripts.install(next);
        return next;
    }

    /** The file's modification time and size, or null when it cannot be read. */
    static String stamp(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            return a.lastModifiedTime().toMillis() + "/" + a.size();
        } catch (IOException e) {
            return null;
        }
    }

    void stop() {
        vertx.cancelTimer(timer);
    }
}
