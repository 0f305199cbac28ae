package io.mysqlproxy.scripting;

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
        if (!(value instanceof LuaTable plain) || value instanceof SharedTable) {
            return value;
        }
        SharedTable copy = seen.get(plain);
        if (copy != null) {
            return copy;
        }
        copy = new SharedTable();
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
