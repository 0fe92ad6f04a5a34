package dev.atelier.core.port;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SSH public keys registered by name in a project, and the SSH endpoint of each instance that has one. */
public interface KeyPairStore {

    void create(KeyPair keyPair);

    Optional<KeyPair> get(String projectId, String name);

    List<KeyPair> list(String projectId);

    boolean delete(String projectId, String name);

    void setEndpoint(String instanceId, SshEndpoint endpoint);

    Optional<SshEndpoint> endpoint(String instanceId);

    void deleteEndpoint(String instanceId);

    /** {@code publicKey} is one OpenSSH line: {@code <type> <base64> [comment]}. */
    record KeyPair(String projectId, String name, String publicKey, String fingerprint, String userId,
                   long createdAt) {
    }

    /** Who may log in (key pair names of the instance's project) and from where (empty: anywhere). */
    record SshEndpoint(List<String> keyPairNames, List<String> allowedAccessIps) {
        public SshEndpoint {
            keyPairNames = List.copyOf(keyPairNames);
            allowedAccessIps = List.copyOf(allowedAccessIps);
        }
    }
}
