package io.mysqlproxy.scripting;

import org.jboss.logging.Logger;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.compiler.LuaC;
import org.luaj.vm2.lib.Bit32Lib;
import org.luaj.vm2.lib.CoroutineLib;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.PackageLib;
import org.luaj.vm2.lib.StringLib;
import org.luaj.vm2.lib.TableLib;
import org.luaj.vm2.lib.TwoArgFunction;
import org.luaj.vm2.lib.VarArgFunction;
import org.luaj.vm2.lib.jse.JseBaseLib;
import org.luaj.vm2.lib.jse.JseIoLib;
import org.luaj.vm2.lib.jse.JseMathLib;
import org.luaj.vm2.lib.jse.JseOsLib;
import org.luaj.vm2.lib.jse.LuajavaLib;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;

/**
 * Builds the Lua globals of one scripting thread: the standard libraries a router needs, Lua 5.1 compatibility
 * ({@code module}, {@code package.seeall}, {@code loadstring}, {@code unpack}, {@code table.getn},
 * {@code _VERSION}), {@code require} limited to the script's own modules, and the {@link Budget} of every hook call
 * enforced by {@link BudgetHooks} and {@link LibraryLimits}. Without the sandbox (trusted local scripts) {@code io}, all of {@code os}, {@code luajava},
 * {@code dofile} and {@code loadfile} are there too.
 */
final class LuaSandbox {
    private static final Logger LOG = Logger.getLogger("io.mysqlproxy.scripting.lua");
    /** The string library of the Lua state owned by the current thread. */
    private static final ThreadLocal<LuaValue> STRING_LIBRARY = new ThreadLocal<>();
    /**
     * LuaJ keeps one metatable for all strings of the JVM, pointing at the string library of whichever state
     * loaded last: {@code s:upper()} in one state would reach another state's {@code string} table, and a script
     * could change it for all. This one sends method calls on strings to the calling thread's own library and
     * hides itself from {@code getmetatable}.
     */
    private static final LuaTable STRING_METATABLE = new LuaTable();

    static {
        STRING_METATABLE.set(LuaValue.INDEX, new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue self, LuaValue key) {
                LuaValue library = STRING_LIBRARY.get();
                return library == null ? NIL : library.get(key);
            }
        });
        STRING_METATABLE.set(LuaValue.METATABLE, LuaValue.valueOf("string"));
    }

    private LuaSandbox() {
    }

    static Globals create(ScriptingOptions options, Budget budget, ModuleSource modules) {
        Globals g = new Globals();
        g.load(new JseBaseLib());
        g.load(new PackageLib());
        g.load(new Bit32Lib());
        g.load(new TableLib());
        g.load(new StringLib());
        STRING_LIBRARY.set(g.get("string")); // create runs on the thread that owns the state
        LuaString.s_metatable = STRING_METATABLE;
        g.load(new CoroutineLib());
        g.load(new JseMathLib());
        g.load(new JseOsLib());
        LuaC.install(g); // source only: without LoadState's undumper, precompiled bytecode cannot be loaded
        if (!options.sandbox()) {
            g.load(new JseIoLib());
            g.load(new LuajavaLib());
        }
        g.debuglib = new BudgetHooks(g, budget);
        LibraryLimits.install(g, budget);
        LuaTable os = g.get("os").checktable();
        if (options.sandbox()) {
            LuaTable safe = new LuaTable();
            for (String f : new String[] {"time", "clock", "date", "difftime"}) {
                safe.set(f, os.get(f));
            }
            safe.set("getenv", new OneArgFunction() {
                @Override
                public LuaValue call(LuaValue name) {
                    String n = name.checkjstring();
                    String v = options.allowedEnv().contains(n) ? System.getenv(n) : null;
                    return v == null ? NIL : LuaValue.valueOf(v);
                }
            });
            g.set("os", safe);
            g.get("package").get("loaded").set("os", safe);
            g.set("dofile", LuaValue.NIL);
            g.set("loadfile", LuaValue.NIL);
            g.get("string").set("dump", LuaValue.NIL);
        }
        g.set("print", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= args.narg(); i++) {
                    sb.append(i > 1 ? "\t" : "").append(args.arg(i).tojstring());
                }
                LOG.info(sb);
                return NONE;
            }
        });
        Lua51Compat.install(g);
        LuaTable proto = MysqlProtoLib.create();
        g.set("proto", proto);
        g.get("package").get("loaded").set("mysql.proto", proto);
        LuaTable password = MysqlPasswordLib.create();
        g.set("password", password);
        g.get("package").get("loaded").set("mysql.password", password);
        LuaTable tokenizer = TokenizerLib.library(budget);
        g.set("tokenizer", tokenizer);
        g.get("package").get("loaded").set("mysql.tokenizer", tokenizer);
        g.get("package").get("loaded").set("proxy.tokenizer", TokenizerLib.helpers(tokenizer));
        restrictRequire(g, modules);
        preloadLibrary(g, "proxy.commands", "proxy/commands.lua");
        preloadLibrary(g, "proxy.balance", "proxy/balance.lua");
        g.get("package").get("preload").set("chassis", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue name) {
                LuaTable chassis = ChassisLib.create(budget);
                g.get("package").get("loaded").set("chassis", chassis);
                return chassis;
            }
        });
        return g;
    }

    /** Helper modules of MySQL Proxy's {@code lib/proxy/}, written for this project and shipped in the jar. */
    private static void preloadLibrary(Globals g, String module, String resource) {
        g.get("package").get("preload").set(module, new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue name) {
                try (InputStream in = LuaSandbox.class.getResourceAsStream("lib/" + resource)) {
                    if (in == null) {
                        throw new LuaError("module '" + module + "' is missing from the proxy's jar");
                    }
                    String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    Prototype p = g.compilePrototype(new StringReader(source), "@" + resource);
                    new LuaClosure(p, Lua51Compat.moduleEnvironment(g)).call(name);
                    return g.get("package").get("loaded").get(module);
                } catch (IOException e) {
                    throw new LuaError("cannot read module '" + module + "': " + e.getMessage());
                }
            }
        });
    }

    /**
     * A fresh environment table that falls back to {@code parent}. It is a {@link Globals} (sharing the parent's
     * thread and debug state) because LuaJ runs instruction hooks only for closures whose environment is one.
     */
    static Globals environment(Globals parent, LuaValue index) {
        Globals env = new Globals();
        env.running = parent.running;
        env.debuglib = parent.debuglib;
        env.baselib = parent.baselib;
        env.package_ = parent.package_;
        env.finder = parent.finder;
        env.compiler = parent.compiler;
        env.loader = parent.loader;
        env.STDOUT = parent.STDOUT;
        env.STDERR = parent.STDERR;
        env.STDIN = parent.STDIN;
        LuaTable meta = new LuaTable();
        meta.set(LuaValue.INDEX, index);
        env.setmetatable(meta);
        return env;
    }

    /**
     * {@code require} finds modules of the script (next to it, or later in its ConfigMap) and of {@code --lua-path},
     * and nothing else.
     */
    private static void restrictRequire(Globals g, ModuleSource modules) {
        LuaTable pkg = g.get("package").checktable();
        LuaTable searchers = new LuaTable();
        searchers.set(1, pkg.get("searchers").get(1)); // package.preload
        searchers.set(2, new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue name) {
                String module = name.checkjstring();
                ModuleSource.Module m = modules.find(module);
                if (m == null) {
                    return LuaValue.valueOf("\n\tno module '" + module + "' in " + modules.describe());
                }
                try {
                    Prototype p = g.compilePrototype(new StringReader(m.source()), m.chunkName());
                    LuaTable env = Lua51Compat.moduleEnvironment(g);
                    return new LuaClosure(p, env);
                } catch (LuaError | IOException e) {
                    throw new LuaError("error loading module '" + module + "': " + e.getMessage());
                }
            }
        });
        pkg.set("searchers", searchers);
        pkg.set("path", LuaValue.valueOf(modules.describe()));
        pkg.set("cpath", LuaValue.valueOf(""));
        pkg.set("loadlib", LuaValue.NIL);
        g.finder = name -> null; // nothing else is opened from the file system or class path
    }
}
