package dev.atelier.core;

/**
 * Whole numbers as clients write them: ASCII digits with an optional sign. Java's own parsing also takes the
 * digits of every other script ({@code "١"} is 1, a full-width {@code "１"} too), which no API client means and
 * which would let one value pass checks under many spellings.
 */
public final class AsciiNumbers {
    private AsciiNumbers() {
    }

    /** As {@link Long#parseLong(String)}, for ASCII digits only. */
    public static long parseLong(String s) {
        check(s);
        return Long.parseLong(s);
    }

    /** As {@link Integer#parseInt(String)}, for ASCII digits only. */
    public static int parseInt(String s) {
        check(s);
        return Integer.parseInt(s);
    }

    /** Whether {@code s} is one or more ASCII digits, nothing else. */
    public static boolean digits(String s) {
        if (s == null || s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static void check(String s) {
        String unsigned = s != null && !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+') ? s.substring(1) : s;
        if (!digits(unsigned)) {
            throw new NumberFormatException("not a whole number in ASCII digits: " + s);
        }
    }
}
