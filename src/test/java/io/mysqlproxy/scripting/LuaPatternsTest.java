package io.mysqlproxy.scripting;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy's own string.find, match, gmatch and gsub give what LuaJ's string library gives, case by case (LuaJ's is
 * the reference the scripts were written against), except where LuaJ's gmatch departs from Lua.
 */
class LuaPatternsTest {
    private static final LuaTestState STATE = new LuaTestState();
    private static final Globals REFERENCE;
    /** The metatable of strings: LuaJ keeps one for the JVM, so it is swapped while the reference runs. */
    private static final LuaValue REFERENCE_STRINGS;
    private static final LuaValue SANDBOX_STRINGS = LuaString.s_metatable;

    static {
        REFERENCE = JsePlatform.standardGlobals();
        REFERENCE_STRINGS = LuaValue.tableOf(new LuaValue[] {LuaValue.INDEX, REFERENCE.get("string")});
        LuaString.s_metatable = SANDBOX_STRINGS;
    }

    private static final String[] CASES = {
        "('hello world'):find('o w')", "('hello world'):find('o', 6)", "('hello world'):find('l', -3)",
        "('hello'):find('')", "('hello'):find('', 10)", "('hello'):find('xyz')", "('a.b'):find('.', 1, true)",
        "('hello world'):find('(o)(r)')", "('hello world'):find('^h')", "('hello world'):find('^w')",
        "('hello world'):find('d$')", "('abc$'):find('c$', 1, true)", "('a$b'):find('$b')",
        "('hello world from Lua'):match('(%w+)%s*(%w+)')", "('key = value'):match('^(%w+)%s*=%s*(%w+)$')",
        "('  trim  '):match('^%s*(.-)%s*$')", "('2024-01-15'):match('(%d+)-(%d+)-(%d+)')",
        "('f(a(b)c)d'):match('%b()')",
        "('hello'):match('()ll()')", "('abcabc'):match('(abc)%1')", "('x = 0x1F'):match('0[xX](%x+)')",
        "('[tag]'):match('%[(.-)%]')", "('a,b,,c'):match('^([^,]*),([^,]*)')", "('a-b'):match('[a%-]+')",
        "('caaab'):match('ca-b')", "('caaab'):match('ca*')", "('cb'):match('ca?b')", "('cab'):match('ca+b')",
        "('SELECT * FROM t'):match('^%s*(%a+)')", "(''):match('.*')", "('\\0a'):match('%z')",
        "('x'):match('[%]]')", "(']'):match('[]]')", "('^'):match('[%^]')", "('hello'):match('[^aeiou]+')",
        "('Ab1_-'):gsub('%W', '.')", "('Ab1 \\t'):gsub('%s', '_')", "('a1!B'):gsub('%p', '?')",
        "('hello world'):gsub('o', '0')", "('hello world'):gsub('(%w+)', '<%1>')",
        "('hello world'):gsub('%w+', '%0 %0', 1)", "('abc'):gsub('', '-')", "('abc'):gsub('b*', 'X')",
        "('hello'):gsub('l', { l = 'L' })", "('hello'):gsub('.', { h = 'H', o = false })",
        "('hello'):gsub('(h)(e)', function(a, b) return b .. a end)", "('x'):gsub('x', '%%')",
        "('abc'):gsub('^a', 'A')", "('aaa'):gsub('^a', 'A')", "('abc'):gsub('c$', 'C')", "('abc'):gsub('.', 5)",
        "('$name-$version'):gsub('%$(%w+)', { name = 'lua', version = '5.1' })", "('abc'):gsub('%w', '%x')",
        "select('#', ('hello'):match('(h)(e)(l)(l)(o)'))", "('one two'):gsub('(%w+) (%w+)', '%2 %1')",
        "('one two three'):gmatch('%a+')()", "('k=v, a=b'):gmatch('(%w+)=(%w+)')()",
    };

    @AfterAll
    static void close() {
        STATE.close();
    }

    /** Every value the expression gives, as text. */
    private static String program(String expression) {
        return "local r = table.pack(" + expression + ") local out = {} "
                + "for i = 1, r.n do out[i] = type(r[i]) .. ' ' .. tostring(r[i]) end "
                + "return r.n .. ': ' .. table.concat(out, ', ')";
    }

    private static String ours(String expression) {
        try {
            return STATE.run(program(expression));
        } catch (CompletionException e) {
            return "error";
        }
    }

    private static String reference(String expression) {
        LuaString.s_metatable = REFERENCE_STRINGS;
        try {
            return REFERENCE.load(program(expression)).call().tojstring();
        } catch (RuntimeException e) {
            return "error";
        } finally {
            LuaString.s_metatable = SANDBOX_STRINGS;
        }
    }

    @Test
    void everyCaseGivesWhatLuajGives() {
        for (String c : CASES) {
            String expected = reference(c);
            assertThat(expected).as(c).isNotEqualTo("error");
            assertThat(ours(c)).as(c).isEqualTo(expected);
        }
    }

    @Test
    void malformedPatternsAreLuaErrors() {
        for (String bad : new String[] {"('a'):find('%')", "('a'):find('[a')", "('a'):find('(a')",
                "('a'):match('a)')", "('a'):find('%b')", "('a'):find('%f')", "('a'):match('(a)%2')",
                "('a'):gsub('a', '%2')", "('a'):gsub('a', true)"}) {
            assertThat(ours(bad)).as(bad).isEqualTo("error");
            assertThat(reference(bad)).as(bad).isEqualTo("error");
        }
    }

    @Test
    void gmatchFindsEmptyMatchesAsLuaDoesAndEnds() {
        // LuaJ's gmatch repeats an empty match forever; Lua moves on by one and also matches at the end
        assertThat(STATE.run("local n = 0 for w in ('abc'):gmatch('x*') do n = n + 1 end return n")).isEqualTo("4");
        assertThat(STATE.run("local t = {} for k, v in ('a=1, b=2'):gmatch('(%w+)=(%w+)') do t[#t + 1] = k .. v end "
                + "return table.concat(t, ' ')")).isEqualTo("a1 b2");
        assertThat(STATE.run("local t = {} for w in ('one two  three'):gmatch('%a+') do t[#t + 1] = w end "
                + "return table.concat(t, '|')")).isEqualTo("one|two|three");
    }

    @Test
    void frontierPatternsWorkAsInLua52() {
        // LuaJ 3.0.1's library has no %f; Lua 5.2's has
        assertThat(ours("('THE (quick) fox'):find('%f[%a]%a+%f[%A]', 5)")).isEqualTo("2: number 6, number 10");
        assertThat(ours("('THE (quick) fox'):gsub('%f[%w]%w+', 'W')")).isEqualTo("2: string W (W) W, number 3");
    }

    @Test
    void aSubjectWithoutAMatchIsReturnedAsItIs() {
        assertThat(STATE.run("local s = string.rep('x', 100) local r, n = s:gsub('y', 'z') "
                + "return tostring(rawequal(r, s)) .. n")).isEqualTo("true0");
    }
}
