package io.mysqlproxy.scripting;

import org.luaj.vm2.Globals;
import org.luaj.vm2.Lua;
import org.luaj.vm2.LuaClosure;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaFunction;
import org.luaj.vm2.LuaThread;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Prototype;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.DebugLib;

import java.util.Arrays;

/**
 * What LuaJ's interpreter calls on every function call, return and instruction of a closure whose environment is a
 * {@link Globals} (every closure of a sandboxed state; see {@link LuaSandbox#environment}). It charges the
 * {@link Budget} for each instruction, checks a concatenation's result size against the allocation budget before the
 * interpreter builds it (the one value an instruction can make arbitrarily large), bounds the depth of nested calls,
 * and keeps the call stack the tracebacks in the log show. It replaces LuaJ's debug library, whose per-instruction
 * bookkeeping is synchronised and whose {@code debug} table scripts must not see.
 */
final class BudgetHooks extends DebugLib {
    /** Nested calls a hook may make before "stack overflow": well within a thread's Java stack. */
    static final int MAX_DEPTH = 200;

    private final Globals root;
    private final Budget budget;

    BudgetHooks(Globals root, Budget budget) {
        this.root = root;
        this.budget = budget;
    }

    /** One Lua thread's (coroutine's) calls; a null closure is a Java function that reported its call. */
    private static final class Frames {
        LuaClosure[] closures = new LuaClosure[16];
        LuaValue[][] stacks = new LuaValue[16][];
        int[] pcs = new int[16];
        int depth;

        void push(LuaClosure c, LuaValue[] stack) {
            if (depth == MAX_DEPTH) {
                throw new LuaError("stack overflow (more than " + MAX_DEPTH + " nested calls)");
            }
            if (depth == closures.length) {
                int n = Math.min(MAX_DEPTH, depth * 2);
                closures = Arrays.copyOf(closures, n);
                stacks = Arrays.copyOf(stacks, n);
                pcs = Arrays.copyOf(pcs, n);
            }
            closures[depth] = c;
            stacks[depth] = stack;
            pcs[depth] = 0;
            depth++;
        }
    }

    private Frames frames() {
        LuaThread running = root.running;
        if (running.callstack instanceof Frames f) {
            return f;
        }
        Frames f = new Frames();
        running.callstack = f;
        return f;
    }

    @Override
    public void onCall(LuaFunction f) {
        frames().push(null, null);
    }

    @Override
    public void onCall(LuaClosure c, Varargs varargs, LuaValue[] stack) {
        frames().push(c, stack);
    }

    @Override
    public void onReturn() {
        Frames f = frames();
        if (f.depth > 0) {
            f.depth--;
            f.closures[f.depth] = null;
            f.stacks[f.depth] = null;
        }
    }

    @Override
    public void onInstruction(int pc, Varargs v, int top) {
        budget.instruction();
        Frames f = frames();
        int d = f.depth - 1;
        f.pcs[d] = pc;
        int i = f.closures[d].p.code[pc];
        if ((i & 0x3f) == Lua.OP_CONCAT) {
            reserveConcatenation(f.stacks[d], Lua.GETARG_B(i), Lua.GETARG_C(i));
        }
    }

    /** {@code R(b) .. ... .. R(c)}: strings and numbers are joined by the interpreter in one allocation. */
    private void reserveConcatenation(LuaValue[] stack, int b, int c) {
        double size = 0;
        for (int r = b; r <= c; r++) {
            LuaValue v = stack[r];
            if (v.isstring()) {
                size += v.type() == LuaValue.TSTRING ? v.rawlen() : 24;
            } else {
                return; // a __concat metamethod runs instead, and is charged for what it does
            }
        }
        budget.reserve(size, "a concatenation of " + (long) size + " bytes");
    }

    /** The traceback the log shows after a hook's error: the innermost call first. */
    @Override
    public String traceback(int level) {
        Frames f = frames();
        StringBuilder sb = new StringBuilder("stack traceback:");
        for (int d = f.depth - Math.max(1, level); d >= 0; d--) {
            LuaClosure c = f.closures[d];
            sb.append("\n\t");
            if (c == null) {
                sb.append("[Java]: in ?");
                continue;
            }
            Prototype p = c.p;
            int pc = f.pcs[d];
            sb.append(LuaErrors.chunkId(p.source.tojstring())).append(':');
            if (p.lineinfo != null && pc < p.lineinfo.length) {
                sb.append(p.lineinfo[pc]).append(':');
            }
            sb.append(p.linedefined == 0 ? " in main chunk" : " in function <"
                    + LuaErrors.chunkId(p.source.tojstring()) + ":" + p.linedefined + ">");
        }
        return sb.toString();
    }
}
