package dev.atelier.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.huaweicloud.sdk.core.auth.AKSKSigner;
import com.huaweicloud.sdk.core.auth.BasicCredentials;
import com.huaweicloud.sdk.core.http.HttpMethod;
import com.huaweicloud.sdk.core.http.HttpRequest;
import dev.atelier.core.auth.SdkHmacSha256;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Atelier's canonicalisation gives the signature the official SDK signer gives, on awkward paths and queries. */
class SdkHmacSha256Test {
    private static final Pattern AUTH = Pattern.compile("Access=([^,]+), SignedHeaders=([^,]+), Signature=(\\w+)");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET|/v1/p1/notebooks|",
        "GET|/v1/p1/notebooks|limit=10&offset=0&sort_dir=DESC",
        "GET|/v1/p1/notebooks|name=a b*c~d&status=RUNNING",
        "GET|/v1/p1/images|name=π-漢字&type=BUILD_IN",
        "DELETE|/v1/p1/notebooks/8a7e3f31-0e0f-4a8c-9d1b-2f5e6a7b8c9d|",
        "POST|/v1/p1/notebooks/x/start|duration=3600000&type=timing",
    })
    void signaturesMatchTheOfficialSigner(String method, String path, String query) {
        String body = method.equals("POST") ? "{\"a\":1}" : null;
        var b = HttpRequest.newBuilder().withEndpoint("http://127.0.0.1:8080").withPath(path)
                .withMethod(HttpMethod.valueOf(method)).withContentType("application/json")
                .addHeader("User-Agent", "huaweicloud-usdk-java/3.0").addHeader("X-Project-Id", "p1");
        StringBuilder rawQuery = new StringBuilder();
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                b.addQueryParam(kv[0], new ArrayList<>(List.of(kv[1])));
                rawQuery.append(rawQuery.isEmpty() ? "" : "&").append(kv[0]).append('=')
                        .append(URLEncoder.encode(kv[1], StandardCharsets.UTF_8).replace("+", "%20")); // as OkHttp sends it
            }
        }
        if (body != null) {
            b.withBodyAsString(body);
        }
        Map<String, String> signed = AKSKSigner.getInstance().sign(b.build(),
                new BasicCredentials().withAk("AK").withSk("SK-secret").withProjectId("p1"));
        Matcher m = AUTH.matcher(signed.get("Authorization"));
        assertThat(m.find()).isTrue();

        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put("host", "127.0.0.1:8080");
        headers.put("user-agent", "huaweicloud-usdk-java/3.0");
        headers.put("x-project-id", "p1");
        headers.put("x-sdk-date", signed.get("X-Sdk-Date"));
        List<String> names = Arrays.asList(m.group(2).split(";"));
        String canonical = SdkHmacSha256.canonicalRequest(method, path,
                rawQuery.isEmpty() ? null : rawQuery.toString(), names, headers::get,
                SdkHmacSha256.sha256Hex(body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8)));
        String ours = SdkHmacSha256.signature("SK-secret".getBytes(StandardCharsets.UTF_8),
                SdkHmacSha256.stringToSign(signed.get("X-Sdk-Date"), canonical));
        assertThat(ours).isEqualTo(m.group(3));
    }
}
