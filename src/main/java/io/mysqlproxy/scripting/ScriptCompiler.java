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

    public synchronized Script compile(String source, String name, Path moduleDir) {
        try {
            Prototype p = compilerGlobals.compilePrototype(new StringReader(source), name);
            return new Script(name, moduleDir, p, checksum(source), GENERATIONS.incrementAndGet());
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
