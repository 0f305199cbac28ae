package io.mysqlproxy.scripting;

import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.compiler.LuaC;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/** Compiles Lua source to a {@link Script} once, so that no connection ever compiles. */
public final class ScriptCompiler {
    private static final AtomicLong GENERATIONS = new AtomicLong();
    private final Globals compilerGlobals = new Globals();

    public ScriptCompiler() {
        LuaC.install(compilerGlobals);
    }

    public Script compileFile(Path path) {
        String source;
        try {
            source = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ScriptException("cannot read Lua script " + path + ": " + e.getMessage(), e);
        }
        return compile(source, path.toString(), path.toAbsolutePath().getParent());
    }

    public Script compile(String source, String name, Path moduleDir) {
        return compile(source, name, moduleDir, Map.of(), checksum(source));
    }

    /**
     * A script given as text with its modules (a ConfigMap's keys {@code NAME.lua}); every module is compiled
     * too, so that one that does not compile rejects the whole script, and its checksum covers them all.
     */
    public Script compileInline(String name, String source, Map<String, String> modules) {
        StringBuilder all = new StringBuilder(source);
        for (Map.Entry<String, String> m : new TreeMap<>(modules).entrySet()) {
            compile(m.getValue(), m.getKey(), null);
            all.append('\0').append(m.getKey()).append('\0').append(m.getValue());
        }
        return compile(source, name, null, modules, checksum(all.toString()));
    }

    /**
     * How errors name a script's code: by its file name ({@code main.lua:3: ...}); the {@code @} marks it as a file's
     * chunk, as Lua does.
     */
    static String chunkName(String name) {
        return "@" + name.substring(name.lastIndexOf('/') + 1);
    }

    private synchronized Script compile(String source, String name, Path moduleDir,
                                        Map<String, String> modules, String checksum) {
        try {
            Prototype p = compilerGlobals.compilePrototype(new StringReader(source), chunkName(name));
            return new Script(name, moduleDir, Map.copyOf(modules), p, checksum,
                    GENERATIONS.incrementAndGet());
        } catch (LuaError e) {
            throw new ScriptException("Lua script " + name + " does not compile: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ScriptException("cannot read Lua script " + name + ": " + e.getMessage(), e);
        }
    }

    static String checksum(String source) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
