package io.mysqlproxy.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/** Reads the tokens of a {@link TableQuery}; every refusal is a syntax error (1064) naming where it happened. */
final class TableQueryParser {
    private final List<SqlToken> tokens = new ArrayList<>();
    private int at;

    TableQueryParser(String sql) {
        for (SqlToken t : SqlTokenizer.tokenize(sql)) {
            if (t.id() != TokenId.TK_COMMENT) {
                tokens.add(t);
            }
        }
    }

    private String word(int ahead) {
        int i = at + ahead;
        if (i >= tokens.size()) {
            return null;
        }
        SqlToken t = tokens.get(i);
        return t.id() == TokenId.TK_STRING ? null : t.text().toUpperCase(Locale.ROOT);
    }

    boolean peekIs(String word) {
        return peekIs(0, word);
    }

    boolean peekIs(int ahead, String word) {
        return word.equals(word(ahead));
    }

    SqlToken next() {
        if (at >= tokens.size()) {
            throw syntax("the statement ends too early");
        }
        return tokens.get(at++);
    }

    boolean accept(String word) {
        if (peekIs(word)) {
            at++;
            return true;
        }
        return false;
    }

    void expect(String word) {
        if (!accept(word)) {
            throw syntax("expected " + word);
        }
    }

    void end() {
        if (at < tokens.size()) {
            throw syntax("unexpected '" + tokens.get(at).text() + "'");
        }
    }

    /** A table or column name (plain or backticked). */
    String name() {
        SqlToken t = next();
        if (t.id() != TokenId.TK_LITERAL && !t.id().name().startsWith("TK_SQL_")) {
            throw syntax("expected a name, not '" + t.text() + "'", at - 1);
        }
        return t.text();
    }

    /** A column name, or a column's position (ORDER BY 2). */
    String nameOrPosition() {
        return at < tokens.size() && tokens.get(at).id() == TokenId.TK_INTEGER ? next().text() : name();
    }

    long count() {
        SqlToken t = next();
        if (t.id() != TokenId.TK_INTEGER) {
            throw syntax("expected a number of rows, not '" + t.text() + "'", at - 1);
        }
        return Long.parseLong(t.text());
    }

    TableQuery.Refused syntax(String what) {
        return syntax(what, at);
    }

    private TableQuery.Refused syntax(String what, int where) {
        String near = where < tokens.size() ? " near '" + tokens.get(where).text() + "'" : " at the end";
        return new TableQuery.Refused(1064, "the admin interface cannot read this statement: " + what + near);
    }

    // ---- conditions ------------------------------------------------------------------------------------------

    /** A value of a row: a column's, or a literal's. */
    private interface Operand extends Function<TableQuery.Columns, Function<List<Object>, Object>> {
    }

    TableQuery.Condition condition() {
        TableQuery.Condition left = conjunction();
        while (accept("OR")) {
            TableQuery.Condition l = left;
            TableQuery.Condition r = conjunction();
            left = cols -> l.bind(cols).or(r.bind(cols));
        }
        return left;
    }

    private TableQuery.Condition conjunction() {
        TableQuery.Condition left = negation();
        while (accept("AND")) {
            TableQuery.Condition l = left;
            TableQuery.Condition r = negation();
            left = cols -> l.bind(cols).and(r.bind(cols));
        }
        return left;
    }

    private TableQuery.Condition negation() {
        if (accept("NOT")) {
            TableQuery.Condition c = negation();
            return cols -> c.bind(cols).negate();
        }
        if (accept("(")) {
            TableQuery.Condition c = condition();
            expect(")");
            return c;
        }
        return predicate();
    }

    private TableQuery.Condition predicate() {
        Operand left = operand();
        if (accept("IS")) {
            boolean not = accept("NOT");
            expect("NULL");
            return cols -> {
                Function<List<Object>, Object> v = left.apply(cols);
                return row -> (v.apply(row) == null) != not;
            };
        }
        boolean not = accept("NOT");
        Predicate<Object[]> test;
        List<Operand> operands = new ArrayList<>(List.of(left));
        if (accept("LIKE")) {
            operands.add(operand());
            test = v -> v[0] != null && v[1] != null && Values.like(v[0].toString(), v[1].toString());
        } else if (accept("IN")) {
            expect("(");
            do {
                operands.add(operand());
            } while (accept(","));
            expect(")");
            test = v -> {
                for (int i = 1; i < v.length; i++) {
                    if (v[0] != null && Values.compare(v[0], v[i]) == 0) {
                        return true;
                    }
                }
                return false;
            };
        } else if (accept("BETWEEN")) {
            operands.add(operand());
            expect("AND");
            operands.add(operand());
            test = v -> v[0] != null && v[1] != null && v[2] != null && Values.compare(v[0], v[1]) >= 0
                    && Values.compare(v[0], v[2]) <= 0;
        } else if (not) {
            throw syntax("expected LIKE, IN or BETWEEN after NOT");
        } else {
            String op = comparison();
            operands.add(operand());
            test = v -> v[0] != null && v[1] != null && Values.holds(op, Values.compare(v[0], v[1]));
        }
        Predicate<Object[]> holds = not ? test.negate() : test;
        return cols -> {
            List<Function<List<Object>, Object>> bound = operands.stream().map(o -> o.apply(cols)).toList();
            return row -> {
                Object[] values = new Object[bound.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = bound.get(i).apply(row);
                }
                return holds.test(values);
            };
        };
    }

    private String comparison() {
        SqlToken t = next();
        return switch (t.id()) {
            case TK_EQ, TK_NE, TK_LT, TK_GT, TK_LE, TK_GE -> t.text();
            default -> throw syntax("expected a comparison, not '" + t.text() + "'", at - 1);
        };
    }

    private Operand operand() {
        SqlToken t = next();
        switch (t.id()) {
            case TK_STRING -> {
                String s = Values.unescape(t.text());
                return cols -> row -> s;
            }
            case TK_INTEGER, TK_FLOAT -> {
                Number n = Values.number(t.text());
                return cols -> row -> n;
            }
            case TK_MINUS -> {
                SqlToken number = next();
                if (number.id() != TokenId.TK_INTEGER && number.id() != TokenId.TK_FLOAT) {
                    throw syntax("expected a number after '-'", at - 1);
                }
                Number n = Values.number("-" + number.text());
                return cols -> row -> n;
            }
            default -> {
                if (t.text().equalsIgnoreCase("NULL")) {
                    return cols -> row -> null;
                }
                if (t.id() != TokenId.TK_LITERAL && !t.id().name().startsWith("TK_SQL_")) {
                    throw syntax("expected a column or a value, not '" + t.text() + "'", at - 1);
                }
                String column = t.text();
                return cols -> {
                    int i = cols.at(column);
                    return row -> row.get(i);
                };
            }
        }
    }
}
