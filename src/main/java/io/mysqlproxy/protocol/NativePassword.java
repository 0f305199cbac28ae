package io.mysqlproxy.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The mysql_native_password scramble: SHA1(password) XOR SHA1(nonce + SHA1(SHA1(password))).
 *
 * @see <a href="https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html">Native authentication</a>
 */
public final class NativePassword {
    public static final String PLUGIN = "mysql_native_password";

    private NativePassword() {
    }

    public static byte[] scramble(String password, byte[] nonce) {
        if (password == null || password.isEmpty()) {
            return new byte[0];
        }
        return scrambleHashed(nonce, hash(password.getBytes(StandardCharsets.UTF_8)));
    }

    /** SHA1 of {@code cleartext}: the password's first-stage hash. */
    public static byte[] hash(byte[] cleartext) {
        return sha1().digest(cleartext);
    }

    /** The response to {@code nonce} for a password known by its first-stage hash. */
    public static byte[] scrambleHashed(byte[] nonce, byte[] stage1) {
        byte[] mix = mask(nonce, sha1().digest(stage1));
        for (int i = 0; i < mix.length; i++) {
            mix[i] ^= stage1[i];
        }
        return mix;
    }

    /** The first-stage hash hidden in {@code response}, given the server's stored double hash. */
    public static byte[] unscramble(byte[] nonce, byte[] response, byte[] stage2) {
        byte[] mix = mask(nonce, stage2);
        for (int i = 0; i < mix.length && i < response.length; i++) {
            mix[i] ^= response[i];
        }
        return mix;
    }

    /** Whether {@code response} to {@code nonce} proves the password whose double hash is {@code stage2}. */
    public static boolean check(byte[] nonce, byte[] response, byte[] stage2) {
        return response.length == 20 && MessageDigest.isEqual(hash(unscramble(nonce, response, stage2)), stage2);
    }

    private static byte[] mask(byte[] nonce, byte[] stage2) {
        MessageDigest sha1 = sha1();
        sha1.update(nonce, 0, Math.min(20, nonce.length));
        sha1.update(stage2);
        return sha1.digest();
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-1", e);
        }
    }
}
