package io.mysqlproxy.scripting;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The modules a script may {@code require}: its own (files next to it, or the other keys of its ConfigMap), then
 * the files of MySQL Proxy's {@code --lua-path} templates. Nothing else is opened: a module name is letters, digits,
 * '_', '-' and '.', and a template's file must lie in the directory the template names.
 */
interface ModuleSource {
    /** A module's code and the chunk name its errors show. */
    record Module(String chunkName, String source) {
    }

    Module find(String name);

    /** What package.path shows. */
    String describe();

    /** The current script's modules, then those of {@code luaPath}. */
    static ModuleSource of(Supplier<Script> script, List<String> luaPath) {
        ModuleSource own = own(script);
        List<ModuleSource> all = new ArrayList<>(List.of(own));
        luaPath.forEach(template -> all.add(template(template)));
        return new ModuleSource() {
            @Override
            public Module find(String name) {
                for (ModuleSource s : all) {
                    Module m = s.find(name);
                    if (m != null) {
                        return m;
                    }
                }
                return null;
            }

            @Override
            public String describe() {
                return String.join(";", all.stream().map(ModuleSource::describe).filter(d -> !d.isEmpty()).toList());
            }
        };
    }

    /** The current script's inline modules if it has any, else files next to it. */
    private static ModuleSource own(Supplier<Script> script) {
        ModuleSource files = directory(() -> script.get().dir());
        return new ModuleSource() {
            @Override
            public Module find(String name) {
                Script s = script.get();
                if (s.modules().isEmpty()) {
                    return files.find(name);
                }
                String source = s.modules().get(name + ".lua");
                return source == null ? null : new Module("@" + name + ".lua", source);
            }

            @Override
            public String describe() {
                Script s = script.get();
                return s.modules().isEmpty() ? files.describe() : String.join(";", s.modules().keySet());
            }
        };
    }

    /** Modules are files {@code name.lua} (dots become directories) under the current script's directory. */
    private static ModuleSource directory(Supplier<Path> dirs) {
        return new ModuleSource() {
            @Override
            public Module find(String name) {
                Path dir = dirs.get();
                return dir == null ? null : read(dir, dir.resolve(name.replace('.', '/') + ".lua"), name);
            }

            @Override
            public String describe() {
                Path dir = dirs.get();
                return dir == null ? "" : dir + "/?.lua";
            }
        };
    }

    /**
     * A {@code --lua-path} template such as {@code /usr/share/mysql-proxy/?.lua}: {@code ?} is the module name with
     * dots as directories, and the file must lie under the template's directory.
     */
    private static ModuleSource template(String template) {
        int mark = template.indexOf('?');
        Path base = Path.of(mark < 0 ? template : template.substring(0, template.lastIndexOf('/', mark) + 1))
                .toAbsolutePath().normalize();
        return new ModuleSource() {
            @Override
            public Module find(String name) {
                if (mark < 0) {
                    return null;
                }
                return read(base, Path.of(template.replace("?", name.replace('.', '/'))), name);
            }

            @Override
            public String describe() {
                return template;
            }
        };
    }

    /** The module in {@code file} if the name is a module name and the file lies under {@code dir}. */
    private static Module read(Path dir, Path file, String name) {
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            return null;
        }
        Path root = dir.toAbsolutePath().normalize();
        Path f = file.toAbsolutePath().normalize();
        if (!f.startsWith(root) || !Files.isRegularFile(f)) {
            return null;
        }
        try (InputStream in = Files.newInputStream(f)) {
            return new Module("@" + root.relativize(f), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        }
    }
}
