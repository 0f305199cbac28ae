package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A Lua table that every scripting thread may read and write: {@code proxy.global} and every table stored in it.
 * Each access is synchronised; a plain table stored into it is copied (deeply) into shared tables, so a script's
 * later changes to its own copy are not seen by others. {@link #add} is an atomic increment for counters.
 */
final class SharedTable extends LuaTable {
    /** Once sealed (when the proxy has set it up), scripts cannot change its metatable. */
    private volatile boolean sealed;

    /** From now on scripts may not replace the metatable (it would run one state's code on other threads). */
    void seal() {
        sealed = true;
    }

    @Override
    public LuaValue setmetatable(LuaValue metatable) {
        if (sealed) {
            throw new LuaError("proxy.global and the tables in it are shared by all scripting threads:"
                    + " their metatables cannot be changed");
        }
        return super.setmetatable(metatable);
    }

    @Override
    public synchronized LuaValue rawget(LuaValue key) {
        return super.rawget(key);
    }

    @Override
    public synchronized LuaValue rawget(int key) {
        return super.rawget(key);
    }

    @Override
    public synchronized void rawset(LuaValue key, LuaValue value) {
        super.rawset(key, share(value, new IdentityHashMap<>()));
    }

    @Override
    public synchronized void rawset(int key, LuaValue value) {
        super.rawset(key, share(value, new IdentityHashMap<>()));
    }

    @Override
    public synchronized Varargs next(LuaValue key) {
        return super.next(key);
    }

    @Override
    public synchronized int length() {
        return super.length();
    }

    @Override
    public synchronized int rawlen() {
        return super.rawlen();
    }

    @Override
    public synchronized void insert(int pos, LuaValue value) {
        super.insert(pos, share(value, new IdentityHashMap<>()));
    }

    @Override
    public synchronized LuaValue remove(int pos) {
        return super.remove(pos);
    }

    /** Adds {@code delta} to the number at {@code key} (nil counts as 0) and returns the sum, atomically. */
    synchronized LuaValue add(LuaValue key, double delta) {
        LuaValue now = super.rawget(key);
        LuaValue sum = LuaValue.valueOf((now.isnil() ? 0 : now.checkdouble()) + delta);
        if (sum.todouble() == Math.rint(sum.todouble()) && Math.abs(sum.todouble()) < 1e15) {
            sum = LuaValue.valueOf((long) sum.todouble());
        }
        super.rawset(key, sum);
        return sum;
    }

    private static LuaValue share(LuaValue value, Map<LuaTable, SharedTable> seen) {
        if (value.isfunction() || value.isuserdata() || value.isthread()) {
            // a function belongs to one Lua state: called from another thread it would run that state's code
            throw new LuaError("proxy.global holds data only (nil, booleans, numbers, strings, tables), not a "
                    + value.typename());
        }
        if (!(value instanceof LuaTable plain) || value instanceof SharedTable) {
            return value;
        }
        if (plain.getmetatable() != null) {
            throw new LuaError("proxy.global holds data only: a table with a metatable cannot be shared");
        }
        SharedTable copy = seen.get(plain);
        if (copy != null) {
            return copy;
        }
        copy = new SharedTable();
        copy.sealed = true;
        seen.put(plain, copy);
        LuaValue k = LuaValue.NIL;
        while (true) {
            Varargs n = plain.next(k);
            k = n.arg1();
            if (k.isnil()) {
                break;
            }
            copy.superSet(k, share(n.arg(2), seen));
        }
        return copy;
    }

    private synchronized void superSet(LuaValue key, LuaValue value) {
        super.rawset(key, value);
    }
}
