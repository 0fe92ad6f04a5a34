package dev.atelier.core.model;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;

/** Calendar months in UTC, as monthly use is counted and named: {@code 2026-12}. */
public final class Months {
    private Months() {
    }

    /** The month {@code epochMillis} falls in. */
    public static String of(long epochMillis) {
        return YearMonth.from(Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC)).toString();
    }

    /** When {@code month} begins (epoch ms). */
    public static long start(String month) {
        return YearMonth.parse(month).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    /** When the month after {@code month} begins (epoch ms). */
    public static long end(String month) {
        return start(YearMonth.parse(month).plusMonths(1).toString());
    }

    /** How much of {@code [since, until)} falls in each month it spans, oldest first; empty when it is empty. */
    public static Map<String, Long> split(long since, long until) {
        Map<String, Long> out = new LinkedHashMap<>();
        long from = since;
        while (from < until) {
            String month = of(from);
            long to = Math.min(until, end(month));
            out.put(month, to - from);
            from = to;
        }
        return out;
    }
}
