package io.mysqlproxy.sql;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * A SELECT over one table of rows held in memory, as the admin interface answers it:
 * {@code SELECT * | column [AS alias], ... | COUNT(*) FROM table [WHERE condition] [ORDER BY column|position
 * [ASC|DESC], ...] [LIMIT count [OFFSET skip] | LIMIT skip, count]}. A condition combines comparisons
 * ({@code = != <> < > <= >=}), {@code [NOT] LIKE}, {@code IS [NOT] NULL}, {@code [NOT] IN (...)} and
 * {@code [NOT] BETWEEN ... AND ...} of columns and literals with AND, OR, NOT and parentheses. Strings compare
 * without regard to case, as MySQL's default collation does; a number and a string that reads as one compare as
 * numbers.
 */
public final class TableQuery {
    /** A query that cannot be answered, with the server error code a client expects. */
    public static final class Refused extends RuntimeException {
        private final int code;

        public Refused(int code, String message) {
            super(message);
            this.code = code;
        }

        public int code() {
            return code;
        }
    }

    /** A table's column names (in order) and rows (values: Strings, Numbers or null). */
    public record Rows(List<String> columns, List<List<Object>> rows) {
    }

    private record Selected(String name, String alias) {
    }

    private record Order(String column, boolean descending) {
    }

    private final String table;
    private final List<Selected> selected;
    private final boolean count;
    private final Condition where;
    private final List<Order> order;
    private final long limit;
    private final long offset;

    private TableQuery(String table, List<Selected> selected, boolean count, Condition where, List<Order> order,
                       long limit, long offset) {
        this.table = table;
        this.selected = selected;
        this.count = count;
        this.where = where;
        this.order = order;
        this.limit = limit;
        this.offset = offset;
    }

    /** The table the query reads. */
    public String table() {
        return table;
    }

    public static TableQuery parse(String sql) {
        TableQueryParser p = new TableQueryParser(sql);
        p.expect("SELECT");
        List<Selected> selected = new ArrayList<>();
        boolean count = false;
        if (p.accept("*")) {
            selected = null;
        } else if (p.peekIs("COUNT") && p.peekIs(1, "(")) {
            p.next();
            p.expect("(");
            p.expect("*");
            p.expect(")");
            count = true;
        } else {
            do {
                String name = p.name();
                String alias = p.accept("AS") ? p.name() : null;
                selected.add(new Selected(name, alias));
            } while (p.accept(","));
        }
        p.expect("FROM");
        String table = p.name().toLowerCase(Locale.ROOT);
        Condition where = p.accept("WHERE") ? p.condition() : null;
        List<Order> order = new ArrayList<>();
        if (p.accept("ORDER")) {
            p.expect("BY");
            do {
                String column = p.nameOrPosition();
                boolean descending = p.accept("DESC");
                if (!descending) {
                    p.accept("ASC");
                }
                order.add(new Order(column, descending));
            } while (p.accept(","));
        }
        long limit = Long.MAX_VALUE;
        long offset = 0;
        if (p.accept("LIMIT")) {
            limit = p.count();
            if (p.accept(",")) {
                offset = limit;
                limit = p.count();
            } else if (p.accept("OFFSET")) {
                offset = p.count();
            }
        }
        p.accept(";");
        p.end();
        return new TableQuery(table, selected, count, where, order, limit, offset);
    }

    /** The rows of {@code rows} the query selects, in its order, with its columns. */
    public Rows run(Rows rows) {
        List<String> columns = rows.columns();
        Columns lookup = name -> {
            for (int i = 0; i < columns.size(); i++) {
                if (columns.get(i).equalsIgnoreCase(name)) {
                    return i;
                }
            }
            throw new Refused(1054, "Unknown column '" + name + "' in '" + table + "' (columns: "
                    + String.join(", ", columns) + ")");
        };
        Predicate<List<Object>> filter = where == null ? r -> true : where.bind(lookup);
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> row : rows.rows()) {
            if (filter.test(row)) {
                out.add(row);
            }
        }
        if (count) {
            return new Rows(List.of("COUNT(*)"), List.of(List.of((long) out.size())));
        }
        Comparator<List<Object>> sort = null;
        for (Order o : order) {
            int at = o.column.chars().allMatch(Character::isDigit) ? position(o.column, columns) : lookup.at(o.column);
            Comparator<List<Object>> c = (a, b) -> Values.compareForOrder(a.get(at), b.get(at));
            c = o.descending ? c.reversed() : c;
            sort = sort == null ? c : sort.thenComparing(c);
        }
        if (sort != null) {
            out.sort(sort);
        }
        List<List<Object>> page = out.subList((int) Math.min(offset, out.size()),
                (int) Math.min(out.size(), Math.min(offset, out.size()) + Math.min(limit, Integer.MAX_VALUE)));
        if (selected == null) {
            return new Rows(columns, page);
        }
        List<String> names = new ArrayList<>();
        List<Integer> indexes = new ArrayList<>();
        for (Selected s : selected) {
            int at = lookup.at(s.name);
            indexes.add(at);
            names.add(s.alias != null ? s.alias : columns.get(at));
        }
        List<List<Object>> projected = new ArrayList<>(page.size());
        for (List<Object> row : page) {
            List<Object> r = new ArrayList<>(indexes.size());
            indexes.forEach(i -> r.add(row.get(i)));
            projected.add(r);
        }
        return new Rows(names, projected);
    }

    private int position(String digits, List<String> columns) {
        int p = Integer.parseInt(digits);
        if (p < 1 || p > columns.size()) {
            throw new Refused(1054, "Unknown column '" + digits + "' in 'order clause'");
        }
        return p - 1;
    }

    /** Finds a column's index by name, or refuses the query. */
    interface Columns {
        int at(String name);
    }

    /** A WHERE condition, bound to a table's columns before it is tested on its rows. */
    interface Condition {
        Predicate<List<Object>> bind(Columns columns);
    }
}
