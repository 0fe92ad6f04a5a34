package dev.atelier.core.auth;

/**
 * The parts of an {@code Authorization: SDK-HMAC-SHA256 …} header: {@code Access=<AK>} (or the older
 * {@code Credential=<AK>/…}), {@code SignedHeaders=…} and {@code Signature=<hex>}, separated by commas with any
 * white space around them. Read by hand, in one pass: on every signed request, and a regular expression took a
 * few per cent of a signed show's CPU.
 */
record SignatureHeader(String accessKey, String signedHeaders, String signature) {
    private static final String ALGORITHM = SdkHmacSha256.ALGORITHM;

    /** The header's parts, or null when it is not such a header. */
    static SignatureHeader parse(String header) {
        String s = header.trim();
        if (!s.startsWith(ALGORITHM)) {
            return null;
        }
        int i = ALGORITHM.length();
        int afterSpace = spaces(s, i);
        if (afterSpace == i) {
            return null;
        }
        i = afterSpace;
        String accessKey;
        if (s.startsWith("Access=", i)) {
            int end = token(s, i += 7, false);
            accessKey = s.substring(i, end);
            i = end;
        } else if (s.startsWith("Credential=", i)) {
            int end = token(s, i += 11, true);
            accessKey = s.substring(i, end);
            if (end == s.length() || s.charAt(end) != '/') {
                return null;
            }
            i = s.indexOf(',', end);
            i = i < 0 ? s.length() : i; // the scope after the key is not read
        } else {
            return null;
        }
        if (accessKey.isEmpty() || (i = comma(s, i)) < 0 || !s.startsWith("SignedHeaders=", i)) {
            return null;
        }
        int end = token(s, i += 14, false);
        String signedHeaders = s.substring(i, end);
        if (signedHeaders.isEmpty() || (i = comma(s, end)) < 0 || !s.startsWith("Signature=", i)) {
            return null;
        }
        i += 10;
        end = i;
        while (end < s.length() && Character.digit(s.charAt(end), 16) >= 0 && s.charAt(end) < 128) {
            end++;
        }
        String signature = s.substring(i, end);
        return signature.isEmpty() || spaces(s, end) != s.length() ? null
                : new SignatureHeader(accessKey, signedHeaders, signature);
    }

    /** Past white space and one comma and white space again; -1 when there is no comma there. */
    private static int comma(String s, int i) {
        i = spaces(s, i);
        return i < s.length() && s.charAt(i) == ',' ? spaces(s, i + 1) : -1;
    }

    private static int spaces(String s, int i) {
        while (i < s.length() && space(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Up to a comma or white space (or a slash, in a credential). */
    private static int token(String s, int i, boolean slashEnds) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == ',' || space(c) || (slashEnds && c == '/')) {
                break;
            }
            i++;
        }
        return i;
    }

    /** White space as regular expressions mean {@code \s}. */
    private static boolean space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }
}
