package io.mysqlproxy.sql;

import java.util.Locale;
import java.util.regex.Pattern;

/** How {@link TableQuery} compares values: as numbers when both read as numbers, else as text without case. */
final class Values {
    private Values() {
    }

    static Number number(String text) {
        try {
            return text.contains(".") || text.contains("e") || text.contains("E") ? Double.parseDouble(text)
                    : Long.parseLong(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Double asDouble(Object v) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        Number n = number(v.toString().trim());
        return n == null ? null : n.doubleValue();
    }

    /** Both non-null. */
    static int compare(Object a, Object b) {
        Double x = asDouble(a);
        Double y = asDouble(b);
        if (x != null && y != null) {
            return Double.compare(x, y);
        }
        return a.toString().toLowerCase(Locale.ROOT).compareTo(b.toString().toLowerCase(Locale.ROOT));
    }

    /** For ORDER BY: nulls first, as MySQL sorts them ascending. */
    static int compareForOrder(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : -1) : 1;
        }
        return compare(a, b);
    }

    static boolean holds(String operator, int comparison) {
        return switch (operator) {
            case "=" -> comparison == 0;
            case "!=", "<>" -> comparison != 0;
            case "<" -> comparison < 0;
            case ">" -> comparison > 0;
            case "<=" -> comparison <= 0;
            default -> comparison >= 0;
        };
    }

    /**
     * A string literal's value: the tokenizer keeps backslash escapes as written; {@code \%} and {@code \_} stay
     * escaped, as MySQL keeps them for LIKE.
     */
    static String unescape(String text) {
        if (text.indexOf('\\') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\\' || i + 1 == text.length()) {
                out.append(c);
                continue;
            }
            char e = text.charAt(++i);
            switch (e) {
                case '0' -> out.append('\0');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'b' -> out.append('\b');
                case 'Z' -> out.append((char) 26);
                case '%', '_' -> out.append('\\').append(e);
                default -> out.append(e);
            }
        }
        return out.toString();
    }

    /** SQL's LIKE: % any run, _ one character, \ escapes; without regard to case. */
    static boolean like(String value, String pattern) {
        StringBuilder regex = new StringBuilder("(?is)");
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '\\' && i + 1 < pattern.length()) {
                regex.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
            } else if (c == '%') {
                regex.append(".*");
            } else if (c == '_') {
                regex.append('.');
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return value.matches(regex.toString());
    }
}
