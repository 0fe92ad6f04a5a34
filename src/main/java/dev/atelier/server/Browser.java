package dev.atelier.server;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Opens an address in the user's browser, as other command-line tools do: {@code $BROWSER}, else the desktop's opener. */
final class Browser {
    private Browser() {
    }

    /** Starts the browser on {@code address} and returns; says on {@code err} when none could be started. */
    static void open(String address, PrintStream err) {
        List<String> command = new ArrayList<>();
        String chosen = System.getenv("BROWSER");
        if (chosen != null && !chosen.isBlank()) {
            // $BROWSER may list several, separated by ':'; the first is tried (a command, not a shell line)
            command.add(chosen.split(":")[0].trim());
        } else {
            command.add(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac") ? "open"
                    : "xdg-open");
        }
        command.add(address);
        try {
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            err.println("atelier: could not start a browser (" + command.getFirst() + "); open the address above");
        }
    }
}
