package io.mysqlproxy.scripting;

import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.Varargs;
import org.luaj.vm2.lib.VarArgFunction;

import java.util.Arrays;

/**
 * Lua 5.2's pattern matching ({@code string.find}, {@code match}, {@code gmatch}, {@code gsub}), written here instead
 * of taken from LuaJ's string library because a backtracking pattern can run for minutes inside one library call:
 * every step of this matcher is charged to the hook call's {@link Budget}, so the call is interrupted like a loop,
 * and {@code gsub}'s result is checked against the allocation budget as it grows. Behaviour follows Lua 5.2's
 * {@code lstrlib.c}, except where LuaJ keeps Lua 5.1's rules, which MySQL Proxy's scripts were written for: a
 * {@code %} before a non-digit in a {@code gsub} replacement stands for that character, and a start position
 * beyond the subject's end is its end.
 */
final class LuaPatterns {
    private static final int MAX_CAPTURES = 32;
    /** Nested pattern items (captures, expansions) one match may hold open: Lua's MAXCCALLS. */
    private static final int MAX_NESTING = 200;
    private static final int CAP_UNFINISHED = -1;
    private static final int CAP_POSITION = -2;
    private static final String SPECIALS = "^$*+?.([%-";

    private LuaPatterns() {
    }

    /** Installs find, match, gmatch and gsub in {@code string}, charging {@code budget}. */
    static void install(LuaValue string, Budget budget) {
        string.set("find", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return find(args, true, budget);
            }
        });
        string.set("match", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return find(args, false, budget);
            }
        });
        string.set("gmatch", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return gmatch(args.checkstring(1), args.checkstring(2), budget);
            }
        });
        string.set("gsub", new VarArgFunction() {
            @Override
            public Varargs invoke(Varargs args) {
                return gsub(args, budget);
            }
        });
    }

    /** The state of one match of a pattern against a subject; positions are offsets from their starts. */
    private static final class Matcher {
        final Budget budget;
        final LuaString subject;
        final byte[] s;
        final int so;
        final int slen;
        final byte[] p;
        final int po;
        final int plen;
        final int[] captureStart = new int[MAX_CAPTURES];
        final int[] captureLength = new int[MAX_CAPTURES];
        int level;
        int nesting;

        Matcher(LuaString subject, LuaString pattern, Budget budget) {
            this.budget = budget;
            this.subject = subject;
            this.s = subject.m_bytes;
            this.so = subject.m_offset;
            this.slen = subject.m_length;
            this.p = pattern.m_bytes;
            this.po = pattern.m_offset;
            this.plen = pattern.m_length;
        }

        int sub(int i) {
            return s[so + i] & 0xFF;
        }

        int pat(int i) {
            return p[po + i] & 0xFF;
        }

        /** Where the subject's match of the pattern from {@code pi} at {@code si} ends, or -1. */
        int match(int si, int pi) {
            if (++nesting > MAX_NESTING) {
                throw new LuaError("pattern too complex");
            }
            try {
                while (true) {
                    budget.work(1);
                    if (pi == plen) {
                        return si;
                    }
                    int c = pat(pi);
                    if (c == '(') {
                        return pi + 1 < plen && pat(pi + 1) == ')' ? startCapture(si, pi + 2, CAP_POSITION)
                                : startCapture(si, pi + 1, CAP_UNFINISHED);
                    }
                    if (c == ')') {
                        return endCapture(si, pi + 1);
                    }
                    if (c == '$' && pi + 1 == plen) {
                        return si == slen ? si : -1;
                    }
                    if (c == '%' && pi + 1 < plen) {
                        int e = pat(pi + 1);
                        if (e == 'b') {
                            si = matchBalance(si, pi + 2);
                            if (si == -1) {
                                return -1;
                            }
                            pi += 4;
                            continue;
                        }
                        if (e == 'f') {
                            pi += 2;
                            if (pi >= plen || pat(pi) != '[') {
                                throw new LuaError("missing '[' after '%f' in pattern");
                            }
                            int ep = classEnd(pi);
                            int previous = si == 0 ? 0 : sub(si - 1);
                            int current = si < slen ? sub(si) : 0;
                            if (matchBracketClass(previous, pi, ep - 1) || !matchBracketClass(current, pi, ep - 1)) {
                                return -1;
                            }
                            pi = ep;
                            continue;
                        }
                        if (e >= '0' && e <= '9') {
                            si = matchCapture(si, e);
                            if (si == -1) {
                                return -1;
                            }
                            pi += 2;
                            continue;
                        }
                    }
                    int ep = classEnd(pi);
                    int quantifier = ep < plen ? pat(ep) : -1;
                    if (quantifier == '?') {
                        if (singleMatch(si, pi, ep)) {
                            int r = match(si + 1, ep + 1);
                            if (r != -1) {
                                return r;
                            }
                        }
                        pi = ep + 1;
                        continue;
                    }
                    if (quantifier == '+') {
                        return singleMatch(si, pi, ep) ? maxExpand(si + 1, pi, ep) : -1;
                    }
                    if (quantifier == '*') {
                        return maxExpand(si, pi, ep);
                    }
                    if (quantifier == '-') {
                        return minExpand(si, pi, ep);
                    }
                    if (!singleMatch(si, pi, ep)) {
                        return -1;
                    }
                    si++;
                    pi = ep;
                }
            } finally {
                nesting--;
            }
        }

        private int maxExpand(int si, int pi, int ep) {
            int i = 0;
            while (singleMatch(si + i, pi, ep)) {
                i++;
                budget.work(1);
            }
            for (; i >= 0; i--) {
                int r = match(si + i, ep + 1);
                if (r != -1) {
                    return r;
                }
            }
            return -1;
        }

        private int minExpand(int si, int pi, int ep) {
            while (true) {
                int r = match(si, ep + 1);
                if (r != -1) {
                    return r;
                }
                if (!singleMatch(si, pi, ep)) {
                    return -1;
                }
                si++;
            }
        }

        private int startCapture(int si, int pi, int what) {
            if (level >= MAX_CAPTURES) {
                throw new LuaError("too many captures");
            }
            captureStart[level] = si;
            captureLength[level] = what;
            level++;
            int r = match(si, pi);
            if (r == -1) {
                level--;
            }
            return r;
        }

        private int endCapture(int si, int pi) {
            int l = captureToClose();
            captureLength[l] = si - captureStart[l];
            int r = match(si, pi);
            if (r == -1) {
                captureLength[l] = CAP_UNFINISHED;
            }
            return r;
        }

        private int captureToClose() {
            for (int l = level - 1; l >= 0; l--) {
                if (captureLength[l] == CAP_UNFINISHED) {
                    return l;
                }
            }
            throw new LuaError("invalid pattern capture");
        }

        private int matchBalance(int si, int pi) {
            if (pi + 1 >= plen) {
                throw new LuaError("malformed pattern (missing arguments to '%b')");
            }
            if (si >= slen || sub(si) != pat(pi)) {
                return -1;
            }
            int open = pat(pi);
            int close = pat(pi + 1);
            int depth = 1;
            while (++si < slen) {
                budget.work(1);
                int c = sub(si);
                if (c == close) {
                    if (--depth == 0) {
                        return si + 1;
                    }
                } else if (c == open) {
                    depth++;
                }
            }
            return -1;
        }

        private int matchCapture(int si, int digit) {
            int l = checkCapture(digit);
            int length = captureLength[l];
            if (length < 0 || slen - si < length) {
                return -1;
            }
            int start = captureStart[l];
            for (int k = 0; k < length; k++) {
                if (s[so + start + k] != s[so + si + k]) {
                    return -1;
                }
            }
            budget.work(length >> 5);
            return si + length;
        }

        private int checkCapture(int digit) {
            int l = digit - '1';
            if (l < 0 || l >= level || captureLength[l] == CAP_UNFINISHED) {
                throw new LuaError("invalid capture index %" + (l + 1));
            }
            return l;
        }

        /** Where the single-character class at {@code pi} ends. */
        private int classEnd(int pi) {
            int c = pat(pi++);
            if (c == '%') {
                if (pi >= plen) {
                    throw new LuaError("malformed pattern (ends with '%')");
                }
                return pi + 1;
            }
            if (c == '[') {
                if (pi < plen && pat(pi) == '^') {
                    pi++;
                }
                do {
                    if (pi >= plen) {
                        throw new LuaError("malformed pattern (missing ']')");
                    }
                    if (pat(pi++) == '%' && pi < plen) {
                        pi++;
                    }
                    if (pi >= plen) {
                        throw new LuaError("malformed pattern (missing ']')");
                    }
                } while (pat(pi) != ']');
                return pi + 1;
            }
            return pi;
        }

        private boolean singleMatch(int si, int pi, int ep) {
            if (si >= slen) {
                return false;
            }
            int c = sub(si);
            return switch (pat(pi)) {
                case '.' -> true;
                case '%' -> matchClass(c, pat(pi + 1));
                case '[' -> matchBracketClass(c, pi, ep - 1);
                default -> pat(pi) == c;
            };
        }

        /** {@code [set]} from {@code pi} (its '[') to {@code ec} (its ']'). */
        private boolean matchBracketClass(int c, int pi, int ec) {
            boolean found = true;
            if (pat(pi + 1) == '^') {
                found = false;
                pi++;
            }
            while (++pi < ec) {
                if (pat(pi) == '%') {
                    pi++;
                    if (matchClass(c, pat(pi))) {
                        return found;
                    }
                } else if (pi + 2 < ec && pat(pi + 1) == '-') {
                    pi += 2;
                    if (pat(pi - 2) <= c && c <= pat(pi)) {
                        return found;
                    }
                } else if (pat(pi) == c) {
                    return found;
                }
            }
            return !found;
        }

        /** The capture {@code i} (0-based) of a match from {@code start} to {@code end}. */
        LuaValue capture(int i, int start, int end) {
            if (i >= level) {
                if (i == 0) {
                    return subject.substring(start, end);
                }
                throw new LuaError("invalid capture index");
            }
            int length = captureLength[i];
            if (length == CAP_UNFINISHED) {
                throw new LuaError("unfinished capture");
            }
            if (length == CAP_POSITION) {
                return LuaValue.valueOf(captureStart[i] + 1);
            }
            return subject.substring(captureStart[i], captureStart[i] + length);
        }

        /** The captures, or the whole match when the pattern has none and {@code wholeIfNone}. */
        Varargs captures(int start, int end, boolean wholeIfNone) {
            int n = level == 0 && wholeIfNone ? 1 : level;
            LuaValue[] values = new LuaValue[n];
            for (int i = 0; i < n; i++) {
                values[i] = capture(i, start, end);
            }
            return LuaValue.varargsOf(values);
        }
    }

    /** The character class letter {@code cl} (%a, %d, ... and their complements in upper case), ASCII only. */
    static boolean matchClass(int c, int cl) {
        boolean upper = cl >= 'A' && cl <= 'Z';
        boolean r;
        switch (upper ? cl + 32 : cl) {
            case 'a' -> r = isAlpha(c);
            case 'c' -> r = c < 32 || c == 127;
            case 'd' -> r = c >= '0' && c <= '9';
            case 'g' -> r = c > 32 && c < 127;
            case 'l' -> r = c >= 'a' && c <= 'z';
            case 'p' -> r = c > 32 && c < 127 && !isAlpha(c) && !(c >= '0' && c <= '9');
            case 's' -> r = c == ' ' || c >= '\t' && c <= '\r';
            case 'u' -> r = c >= 'A' && c <= 'Z';
            case 'w' -> r = isAlpha(c) || c >= '0' && c <= '9';
            case 'x' -> r = c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
            case 'z' -> r = c == 0;
            default -> {
                return cl == c; // an escaped character stands for itself
            }
        }
        return upper != r;
    }

    private static boolean isAlpha(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
    }

    /** Lua's posrelat: a position counted from the end when negative. */
    private static int relative(long pos, int length) {
        if (pos >= 0) {
            return (int) Math.min(pos, Integer.MAX_VALUE);
        }
        return -pos > length ? 0 : (int) (length + pos + 1);
    }

    private static Varargs find(Varargs args, boolean find, Budget budget) {
        LuaString s = args.checkstring(1);
        LuaString pattern = args.checkstring(2);
        // Lua 5.1's rule, which LuaJ keeps: a start beyond the end is the end (5.2 finds nothing there)
        int init = Math.min(Math.max(relative(args.optlong(3, 1), s.m_length), 1), s.m_length + 1);
        if (find && (args.arg(4).toboolean() || noSpecials(pattern))) {
            int at = plainFind(s, pattern, init - 1, budget);
            return at < 0 ? LuaValue.NIL : LuaValue.varargsOf(LuaValue.valueOf(at + 1),
                    LuaValue.valueOf(at + pattern.m_length));
        }
        boolean anchor = pattern.m_length > 0 && pattern.luaByte(0) == '^';
        Matcher m = new Matcher(s, anchor ? pattern.substring(1, pattern.m_length) : pattern, budget);
        int si = init - 1;
        do {
            m.level = 0;
            int end = m.match(si, 0);
            if (end != -1) {
                if (find) {
                    return LuaValue.varargsOf(LuaValue.valueOf(si + 1), LuaValue.valueOf(end),
                            m.captures(si, end, false));
                }
                return m.captures(si, end, true);
            }
        } while (si++ < m.slen && !anchor);
        return LuaValue.NIL;
    }

    private static boolean noSpecials(LuaString pattern) {
        for (int i = 0; i < pattern.m_length; i++) {
            if (SPECIALS.indexOf(pattern.luaByte(i)) >= 0) {
                return false;
            }
        }
        return true;
    }

    private static int plainFind(LuaString s, LuaString needle, int from, Budget budget) {
        int n = needle.m_length;
        int last = s.m_length - n;
        for (int i = from; i <= last; i++) {
            if ((i & 63) == 0) {
                budget.work(1 + (n >> 4));
            }
            int k = 0;
            while (k < n && s.m_bytes[s.m_offset + i + k] == needle.m_bytes[needle.m_offset + k]) {
                k++;
            }
            if (k == n) {
                return i;
            }
        }
        return -1;
    }

    private static Varargs gmatch(LuaString s, LuaString pattern, Budget budget) {
        Matcher m = new Matcher(s, pattern, budget);
        return new VarArgFunction() {
            private int next;

            @Override
            public Varargs invoke(Varargs args) {
                for (int si = next; si <= m.slen; si++) {
                    m.level = 0;
                    int end = m.match(si, 0);
                    if (end != -1) {
                        next = end == si ? end + 1 : end; // an empty match moves on by one
                        return m.captures(si, end, true);
                    }
                }
                next = m.slen + 1;
                return NIL;
            }
        };
    }

    private static Varargs gsub(Varargs args, Budget budget) {
        LuaString s = args.checkstring(1);
        LuaString pattern = args.checkstring(2);
        LuaValue replacement = args.arg(3);
        int type = replacement.type();
        if (type != LuaValue.TSTRING && type != LuaValue.TNUMBER && type != LuaValue.TFUNCTION
                && type != LuaValue.TTABLE) {
            throw new LuaError("bad argument #3 to 'gsub' (string/function/table expected, got "
                    + replacement.typename() + ")");
        }
        long max = args.optlong(4, (long) s.m_length + 1);
        boolean anchor = pattern.m_length > 0 && pattern.luaByte(0) == '^';
        Matcher m = new Matcher(s, anchor ? pattern.substring(1, pattern.m_length) : pattern, budget);
        Result out = null; // made at the first match: without one, the subject is the result
        int si = 0;
        int kept = 0; // the subject from here to si is copied to the result as it is
        long n = 0;
        while (n < max) {
            m.level = 0;
            int end = m.match(si, 0);
            if (end != -1) {
                n++;
                if (out == null) {
                    out = new Result(s.m_length, budget);
                }
                out.append(s.m_bytes, s.m_offset + kept, si - kept);
                replace(m, si, end, replacement, out);
                kept = end;
            }
            if (end != -1 && end > si) {
                si = end;
            } else if (si < m.slen) {
                si++;
            } else {
                break;
            }
            if (anchor) {
                break;
            }
        }
        if (out == null) {
            return LuaValue.varargsOf(s, LuaValue.valueOf(0));
        }
        out.append(s.m_bytes, s.m_offset + kept, s.m_length - kept);
        return LuaValue.varargsOf(out.toLuaString(), LuaValue.valueOf(n));
    }

    private static void replace(Matcher m, int start, int end, LuaValue replacement, Result out) {
        LuaValue value;
        switch (replacement.type()) {
            case LuaValue.TFUNCTION -> value = replacement.invoke(m.captures(start, end, true)).arg1();
            case LuaValue.TTABLE -> value = replacement.get(m.capture(0, start, end));
            default -> {
                replaceWithString(m, start, end, replacement.checkstring(), out);
                return;
            }
        }
        if (!value.toboolean()) {
            out.append(m.s, m.so + start, end - start); // false or nil: the match stays as it was
        } else if (value.isstring()) {
            LuaString v = value.strvalue();
            out.append(v.m_bytes, v.m_offset, v.m_length);
        } else {
            throw new LuaError("invalid replacement value (a " + value.typename() + ")");
        }
    }

    private static void replaceWithString(Matcher m, int start, int end, LuaString r, Result out) {
        for (int i = 0; i < r.m_length; i++) {
            int c = r.luaByte(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            i++;
            int d = i < r.m_length ? r.luaByte(i) : 0;
            if (d < '0' || d > '9') {
                out.append(d);
            } else if (d == '0') {
                out.append(m.s, m.so + start, end - start);
            } else {
                LuaValue v = m.capture(d - '1', start, end);
                LuaString text = v.strvalue();
                out.append(text.m_bytes, text.m_offset, text.m_length);
            }
        }
    }

    /** gsub's result, growing within the allocation budget. */
    private static final class Result {
        private final Budget budget;
        private byte[] bytes;
        private int length;

        Result(int expected, Budget budget) {
            this.budget = budget;
            budget.reserve(expected, "string.gsub's result");
            this.bytes = new byte[Math.max(16, expected)];
        }

        void append(int b) {
            ensure(1);
            bytes[length++] = (byte) b;
        }

        void append(byte[] from, int offset, int n) {
            ensure(n);
            System.arraycopy(from, offset, bytes, length, n);
            length += n;
            budget.work(n >> 5);
        }

        private void ensure(int more) {
            long needed = (long) length + more;
            if (needed <= bytes.length) {
                return;
            }
            long grown = Math.max(needed, (long) bytes.length * 2);
            budget.reserve(grown, "string.gsub's result of " + needed + " bytes or more");
            bytes = Arrays.copyOf(bytes, (int) Math.min(grown, Integer.MAX_VALUE - 8));
        }

        LuaString toLuaString() {
            return LuaString.valueOf(bytes, 0, length);
        }
    }
}
