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
        return run(cmd);
    }

    /**
     * As {@link #run(String, Map, int)}, over many paths of one server, each with headers of its own (a signature
     * is per path): each connection takes the next path in turn, the two threads starting at different ones.
     */
    static double[] run(String base, List<String> paths, List<Map<String, String>> headers, int seconds)
            throws Exception {
        StringBuilder lua = new StringBuilder("local all = {\n");
        for (int i = 0; i < paths.size(); i++) {
            lua.append("  {").append(luaString(paths.get(i))).append(", {");
            headers.get(i).forEach((k, v) -> lua.append('[').append(luaString(k)).append("] = ")
                    .append(luaString(v)).append(", "));
            lua.append("}},\n");
        }
        lua.append("""
                }
                local reqs = {}
                local next = 0
                local threads = 0
                setup = function(thread)
                  threads = threads + 1
                  thread:set("start", threads * 7919)
                end
                init = function(args)
                  for k, p in ipairs(all) do
                    local h = {}
                    for name, value in pairs(wrk.headers) do h[name] = value end
                    for name, value in pairs(p[2]) do h[name] = value end
                    reqs[k] = wrk.format("GET", p[1], h)
                  end
                  next = start % #reqs
                end
                request = function()
                  next = next % #reqs + 1
                  return reqs[next]
                end
                """);
        java.nio.file.Path script = java.nio.file.Files.createTempFile("wrk", ".lua");
        try {
            java.nio.file.Files.writeString(script, lua);
            return run(new ArrayList<>(List.of("wrk", "-t2", "-c16", "-d" + seconds + "s", "--latency", "-s",
                    script.toString(), base)));
        } finally {
            java.nio.file.Files.deleteIfExists(script);
        }
    }

    private static String luaString(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static double[] run(List<String> cmd) throws Exception {
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
