package dev.atelier.core.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The hand-written reader accepts exactly the headers the grammar's regular expression accepts, with the same parts. */
class SignatureHeaderTest {
    /** The grammar, as a regular expression: the reader's specification. */
    private static final Pattern GRAMMAR = Pattern.compile(
            "SDK-HMAC-SHA256\\s+(?:Access=([^,\\s]+)|Credential=([^/,\\s]+)/[^,]*)\\s*,\\s*"
                    + "SignedHeaders=([^,\\s]+)\\s*,\\s*Signature=([0-9a-fA-F]+)\\s*");

    private static final List<String> PIECES = List.of("SDK-HMAC-SHA256", " ", "  ", "\t", "\n", ",", ", ", " ,",
            "Access=", "Credential=", "AK12", "/", "20240101/region/svc", "SignedHeaders=", "host;x-sdk-date",
            "Signature=", "0a9F", "deadbeef", "g", "=", ";", "Access", "１", "SDK-HMAC-SHA2", "x", "\u000B", "\f");

    @Test
    void theOfficialSdksHeadersAreRead() {
        SignatureHeader h = SignatureHeader.parse("SDK-HMAC-SHA256 Access=AK12, SignedHeaders=host;x-sdk-date, "
                + "Signature=0a9Fbeef");
        assertThat(h).isEqualTo(new SignatureHeader("AK12", "host;x-sdk-date", "0a9Fbeef"));
        assertThat(SignatureHeader.parse("  SDK-HMAC-SHA256\tCredential=AK12/20240101/r/s ,SignedHeaders=host ,"
                + "Signature=ab  ")).isEqualTo(new SignatureHeader("AK12", "host", "ab"));
    }

    @Test
    void headersThatAreNotSignaturesAreRefused() {
        for (String bad : List.of("", "SDK-HMAC-SHA256", "SDK-HMAC-SHA256Access=A, SignedHeaders=h, Signature=ab",
                "SDK-HMAC-SHA256 Access=, SignedHeaders=h, Signature=ab", "SDK-HMAC-SHA256 Access=A SignedHeaders=h, "
                        + "Signature=ab", "SDK-HMAC-SHA256 Access=A, SignedHeaders=h, Signature=xyz",
                "SDK-HMAC-SHA256 Credential=A, SignedHeaders=h, Signature=ab", "Bearer abc",
                "SDK-HMAC-SHA256 Access=A, SignedHeaders=h, Signature=ab, extra")) {
            assertThat(SignatureHeader.parse(bad)).as(bad).isNull();
            assertThat(GRAMMAR.matcher(bad.trim()).matches()).as(bad).isFalse();
        }
    }

    @Test
    void everyHeaderMadeOfTheGrammarsPiecesIsReadAsTheGrammarReadsIt() {
        Random random = new Random(20261207);
        int accepted = 0;
        for (int n = 0; n < 200_000; n++) {
            String header = random.nextInt(3) == 0 ? mutated(random) : assembled(random);
            Matcher m = GRAMMAR.matcher(header.trim());
            SignatureHeader h = SignatureHeader.parse(header);
            if (m.matches()) {
                accepted++;
                assertThat(h).as("[%s]", header).isEqualTo(new SignatureHeader(m.group(1) != null ? m.group(1)
                        : m.group(2), m.group(3), m.group(4)));
            } else {
                assertThat(h).as("[%s]", header).isNull();
            }
        }
        assertThat(accepted).as("valid headers among those tried").isGreaterThan(10_000);
    }

    /** A valid header's shape with pieces swapped in at random. */
    private static String assembled(Random r) {
        String[] shape = {"SDK-HMAC-SHA256", " ", r.nextBoolean() ? "Access=" : "Credential=", "AK12",
            r.nextBoolean() ? "" : "/20240101/region/svc", ", ", "SignedHeaders=", "host;x-sdk-date", ", ",
            "Signature=", "0a9F", ""};
        StringBuilder sb = new StringBuilder();
        for (String part : shape) {
            sb.append(r.nextInt(8) == 0 ? PIECES.get(r.nextInt(PIECES.size())) : part);
        }
        return sb.toString();
    }

    /** A valid header with a character inserted, removed or replaced. */
    private static String mutated(Random r) {
        StringBuilder sb = new StringBuilder(assembled(r));
        int at = r.nextInt(sb.length() + 1);
        String piece = PIECES.get(r.nextInt(PIECES.size()));
        switch (r.nextInt(3)) {
            case 0 -> sb.insert(at, piece);
            case 1 -> {
                if (at < sb.length()) {
                    sb.deleteCharAt(at);
                }
            }
            default -> {
                if (at < sb.length()) {
                    sb.setCharAt(at, piece.charAt(0));
                }
            }
        }
        return sb.toString();
    }
}
