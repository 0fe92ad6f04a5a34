package dev.atelier.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier notebook ssh ID [-- command]}: runs OpenSSH's client to the instance's SSH endpoint, with the user,
 * host and port the API gives for it; its exit code is ssh's.
 */
@Command(name = "ssh", description = "SSH into a running instance (OpenSSH's ssh, with its user, host and port).")
final class NotebookSsh implements Callable<Integer> {
    @Mixin
    NotebookCommands.Connection c;
    @Parameters(index = "0", description = "Instance id.")
    String id;
    @Parameters(index = "1..*", description = "A command to run instead of a shell (after --).")
    List<String> command = new ArrayList<>();
    @Option(names = {"-i", "--identity"}, description = "The private key file (ssh -i).")
    String identity;
    @Option(names = {"-O", "--ssh-option"}, description = "An option for ssh (ssh -o), e.g. StrictHostKeyChecking=accept-new.")
    List<String> sshOptions = new ArrayList<>();
    @Option(names = "--print", description = "Print the ssh command instead of running it.")
    boolean print;

    @Override
    public Integer call() {
        return c.run(api -> {
            ApiClient.Response r = api.send("GET", "/v1/{project_id}/notebooks/" + AdminCommands.enc(id), null);
            if (!r.ok() || r.notTheApi()) {
                c.err.println("atelier: " + r.problem());
                return NotebookCommands.refusal(r);
            }
            String uri = null;
            for (JsonNode e : r.json().path("endpoints")) {
                if ("SSH".equalsIgnoreCase(e.path("service").asText()) && e.hasNonNull("uri")) {
                    uri = e.get("uri").asText();
                }
            }
            if (uri == null) {
                c.err.println("atelier: " + id + " has no SSH endpoint: create it with --ssh-key");
                return NotebookCommands.REFUSED;
            }
            URI at = URI.create(uri); // ssh://<instance-id>@<host>:<port>
            List<String> cmd = new ArrayList<>(List.of("ssh", "-p", Integer.toString(at.getPort())));
            if (identity != null) {
                cmd.addAll(List.of("-i", identity));
            }
            sshOptions.forEach(o -> cmd.addAll(List.of("-o", o)));
            cmd.add(at.getUserInfo() + "@" + at.getHost());
            cmd.addAll(command);
            if (print) {
                c.out.println(String.join(" ", cmd));
                return 0;
            }
            try {
                return new ProcessBuilder(cmd).inheritIO().start().waitFor();
            } catch (java.io.IOException e) {
                c.err.println("atelier: cannot run ssh: " + e.getMessage() + " (install openssh-client)");
                return NotebookCommands.UNREACHABLE;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return NotebookCommands.UNREACHABLE;
            }
        });
    }
}
