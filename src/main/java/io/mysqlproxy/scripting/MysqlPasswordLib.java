package io.mysqlproxy.scripting;

import io.mysqlproxy.protocol.NativePassword;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.OneArgFunction;
import org.luaj.vm2.lib.ThreeArgFunction;
import org.luaj.vm2.lib.TwoArgFunction;

/**
 * {@code mysql.password} (global {@code password}): the mysql_native_password helpers of MySQL Proxy, for scripts
 * that rewrite logins. {@code hash} is SHA1, {@code scramble(challenge, hashed)} the client's response,
 * {@code unscramble} and {@code check} the server side of it.
 */
final class MysqlPasswordLib {
    private MysqlPasswordLib() {
    }

    static LuaTable create() {
        LuaTable m = new LuaTable();
        m.set("hash", new OneArgFunction() {
            @Override
            public LuaValue call(LuaValue cleartext) {
                return LuaValue.valueOf(NativePassword.hash(bytes(cleartext)));
            }
        });
        m.set("scramble", new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue challenge, LuaValue hashed) {
                return LuaValue.valueOf(NativePassword.scrambleHashed(bytes(challenge), bytes(hashed)));
            }
        });
        m.set("unscramble", new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue challenge, LuaValue response, LuaValue doubleHashed) {
                return LuaValue.valueOf(NativePassword.unscramble(bytes(challenge), bytes(response),
                        bytes(doubleHashed)));
            }
        });
        m.set("check", new ThreeArgFunction() {
            @Override
            public LuaValue call(LuaValue challenge, LuaValue response, LuaValue doubleHashed) {
                return LuaValue.valueOf(NativePassword.check(bytes(challenge), bytes(response), bytes(doubleHashed)));
            }
        });
        return m;
    }

    private static byte[] bytes(LuaValue v) {
        return ResponseEncoder.luaBytes(v.checkstring());
    }
}
