package io.mysqlproxy.scripting;

import io.mysqlproxy.sql.SqlToken;
import io.mysqlproxy.sql.SqlTokenizer;
import io.mysqlproxy.sql.TokenId;
import org.luaj.vm2.LuaError;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.TwoArgFunction;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * {@code tokenizer.rewrite(sql, replace)}, not in MySQL Proxy: calls {@code replace(token)} for every token of
 * {@code sql} but comments, and returns {@code sql} with the tokens for which it returned a string replaced by that
 * string, and every other byte as it was (blanks, comments, the quoting and escapes of strings, bytes that are not
 * UTF-8). Rewriting tokens instead of text keeps a rule from changing a string literal or a comment that happens to
 * contain the text it looks for.
 */
final class TokenRewrite {
    private TokenRewrite() {
    }

    static LuaValue function(Budget budget) {
        return new TwoArgFunction() {
            @Override
            public LuaValue call(LuaValue sql, LuaValue replace) {
                replace.checkfunction();
                return rewrite(sql.checkstring(), replace, budget);
            }
        };
    }

    private static LuaValue rewrite(LuaString sql, LuaValue replace, Budget budget) {
        byte[] bytes = ResponseEncoder.luaBytes(sql);
        budget.reserve(2.0 * bytes.length * TokenizerLib.TOKENIZED_BYTES_PER_BYTE, "rewriting " + bytes.length
                + " bytes of SQL");
        Text text = Text.of(bytes);
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 16);
        int copied = 0;
        for (SqlToken t : SqlTokenizer.tokenize(text.chars)) {
            if (t.id() == TokenId.TK_COMMENT || t.id() == TokenId.TK_COMMENT_MYSQL) {
                continue;
            }
            budget.work(1);
            LuaValue replacement = replace.call(TokenizerLib.token(t));
            if (replacement.isnil() || replacement == LuaValue.FALSE) {
                continue;
            }
            if (!replacement.isstring()) {
                throw new LuaError("tokenizer.rewrite: the function returned a " + replacement.typename()
                        + " for token '" + t.text() + "' (a string replaces it, nil keeps it)");
            }
            LuaString r = replacement.strvalue();
            int from = text.byteAt(t.start());
            out.write(bytes, copied, from - copied);
            out.write(r.m_bytes, r.m_offset, r.m_length);
            budget.reserve(out.size(), "a rewritten statement of " + out.size() + " bytes");
            copied = text.byteAt(t.end());
        }
        if (copied == 0) {
            return sql; // nothing replaced
        }
        out.write(bytes, copied, bytes.length - copied);
        return LuaString.valueOf(out.toByteArray());
    }

    /** The statement as characters, and where each character's bytes begin. */
    private record Text(String chars, int[] byteOffsets) {
        /** UTF-8 when the bytes are; else one character per byte (ISO-8859-1), so that every byte stays in place. */
        static Text of(byte[] bytes) {
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
                int[] offsets = new int[s.length() + 1];
                int b = 0;
                for (int i = 0; i < s.length(); i++) {
                    offsets[i] = b;
                    char c = s.charAt(i);
                    b += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
                }
                offsets[s.length()] = b;
                return new Text(s, offsets);
            } catch (CharacterCodingException e) {
                int[] offsets = new int[bytes.length + 1];
                for (int i = 0; i <= bytes.length; i++) {
                    offsets[i] = i;
                }
                return new Text(new String(bytes, StandardCharsets.ISO_8859_1), offsets);
            }
        }

        int byteAt(int charIndex) {
            return byteOffsets[charIndex];
        }
    }
}
