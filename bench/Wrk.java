import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** wrk in its own process (2 threads, 16 connections): requests/s and p99 latency in ms. */
final class Wrk {
    private Wrk() {
    }

    /** {requests/s, p99 ms, requests completed}. */
    static double[] run(String url, Map<String, String> headers, int seconds) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t2", "-c16", "-d" + seconds + "s", "--latency"));
        headers.forEach((k, v) -> {
            cmd.add("-H");
            cmd.add(k + ": " + v);
        });
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher rps = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        Matcher p99 = Pattern.compile("99%\\s+([0-9.]+)(us|ms|s)").matcher(out);
        Matcher total = Pattern.compile("([0-9]+) requests in").matcher(out);
        if (!rps.find() || !p99.find() || !total.find() || out.contains("Non-2xx")) {
            throw new IllegalStateException("wrk: " + out);
        }
        double lat = Double.parseDouble(p99.group(1));
        lat = switch (p99.group(2)) {
            case "us" -> lat / 1000;
            case "s" -> lat * 1000;
            default -> lat;
        };
        return new double[] {Double.parseDouble(rps.group(1)), lat, Double.parseDouble(total.group(1))};
    }
}
