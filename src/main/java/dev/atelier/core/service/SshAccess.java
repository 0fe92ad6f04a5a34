package dev.atelier.core.service;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.auth.Caller;
import dev.atelier.core.model.Instance;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.port.IdentityStore;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.KeyPairStore;
import dev.atelier.core.port.KeyPairStore.KeyPair;
import dev.atelier.core.port.KeyPairStore.SshEndpoint;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * SSH access to instances: the project's key-pair registry (public keys by name), instances' SSH endpoints (which
 * key pairs, from which addresses), and the decision whether a login may proceed.
 */
public final class SshAccess {
    public static final int MAX_ALLOWED_IPS = 5;
    /** Not starting with '-': a name is an argument of command lines (the CLI's, scripts'), never an option. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{0,63}");
    private static final Set<String> KEY_TYPES = Set.of("ssh-rsa", "ssh-ed25519", "ecdsa-sha2-nistp256",
            "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521");

    private final KeyPairStore store;
    private final InstanceStore instances;
    private final IdentityStore identities;
    private final Clock clock;

    public SshAccess(KeyPairStore store, InstanceStore instances, IdentityStore identities, Clock clock) {
        this.identities = identities;
        this.store = store;
        this.instances = instances;
        this.clock = clock;
    }

    // ---- the registry ---------------------------------------------------------------------------------------

    public KeyPair register(Caller caller, String projectId, String name, String publicKey) {
        caller.requireProject(projectId);
        if (name == null || !NAME.matcher(name).matches()) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "keypair.name must be 1 to 64 letters, digits, "
                    + "'-' or '_', not starting with '-'");
        }
        if (publicKey == null || publicKey.isBlank()) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "keypair.public_key is required: this server "
                    + "imports public keys and never makes or holds private keys");
        }
        String line = publicKey.trim();
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            // one key a pair: more would be stored and shown as one, and only the first would ever sign anyone in
            throw new AtelierException(ErrorCode.INVALID_VALUE, "keypair.public_key must be one OpenSSH public key, "
                    + "on one line");
        }
        String fingerprint = fingerprint(line);
        if (store.get(projectId, name).isPresent()) {
            throw new AtelierException(ErrorCode.NAME_TAKEN, "a key pair named " + name + " exists in the project");
        }
        KeyPair k = new KeyPair(projectId, name, line, fingerprint, caller.userId(), clock.millis());
        store.create(k);
        return k;
    }

    public List<KeyPair> list(Caller caller, String projectId) {
        caller.requireProject(projectId);
        return store.list(projectId);
    }

    public KeyPair show(Caller caller, String projectId, String name) {
        caller.requireProject(projectId);
        return store.get(projectId, name).orElseThrow(() -> new AtelierException(ErrorCode.NOT_FOUND,
                "key pair " + name + " does not exist"));
    }

    public KeyPair delete(Caller caller, String projectId, String name) {
        KeyPair k = show(caller, projectId, name);
        caller.requireOwnerOrAdministrator(projectId, k.userId(), "key pair " + name);
        store.delete(projectId, name);
        return k;
    }

    /**
     * The OpenSSH fingerprint ({@code SHA256:…}) of a public key line, after checking that it is one: a known
     * type, and base64 whose first field names the same type.
     */
    static String fingerprint(String line) {
        String[] parts = line.split("\\s+");
        if (parts.length < 2 || !KEY_TYPES.contains(parts[0])) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "keypair.public_key must be an OpenSSH public key "
                    + "line: one of " + KEY_TYPES + ", then the key in base64");
        }
        byte[] blob;
        try {
            blob = Base64.getDecoder().decode(parts[1]);
            ByteBuffer b = ByteBuffer.wrap(blob);
            int len = b.getInt();
            if (len <= 0 || len > 64) {
                throw new IllegalArgumentException();
            }
            byte[] type = new byte[len];
            b.get(type);
            if (!new String(type, StandardCharsets.US_ASCII).equals(parts[0])) {
                throw new IllegalArgumentException();
            }
        } catch (RuntimeException e) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "keypair.public_key: the key data is not a "
                    + parts[0] + " public key");
        }
        try {
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(blob));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- endpoints ------------------------------------------------------------------------------------------

    /** Checks an instance's SSH endpoint before the instance is made: its key pairs exist, its addresses parse. */
    public SshEndpoint check(String projectId, List<String> keyPairNames, List<String> allowedAccessIps) {
        if (keyPairNames == null || keyPairNames.isEmpty()) {
            throw new AtelierException(ErrorCode.MISSING_PROPERTY, "endpoints[].key_pair_names: an SSH endpoint "
                    + "needs at least one key pair (register one with POST /v3/{project_id}/keypairs)");
        }
        for (String name : keyPairNames) {
            if (name == null || store.get(projectId, name).isEmpty()) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "endpoints[].key_pair_names: key pair " + name
                        + " does not exist in the project");
            }
        }
        List<String> ips = allowedAccessIps == null ? List.of() : allowedAccessIps;
        if (ips.size() > MAX_ALLOWED_IPS) {
            throw new AtelierException(ErrorCode.INVALID_VALUE, "endpoints[].allowed_access_ips: at most "
                    + MAX_ALLOWED_IPS + " addresses");
        }
        for (String ip : ips) {
            if (ip == null || cidr(ip) == null) {
                throw new AtelierException(ErrorCode.INVALID_VALUE, "endpoints[].allowed_access_ips: " + ip
                        + " is not an IP address or a CIDR block");
            }
        }
        return new SshEndpoint(keyPairNames, ips);
    }

    /** Whether {@code address} is one of the endpoint's allowed addresses (all are, when none are listed). */
    static boolean allowed(SshEndpoint e, InetAddress address) {
        if (e.allowedAccessIps().isEmpty()) {
            return true;
        }
        for (String ip : e.allowedAccessIps()) {
            Object[] c = cidr(ip);
            if (c != null && matches((InetAddress) c[0], (Integer) c[1], address)) {
                return true;
            }
        }
        return false;
    }

    /** [address, prefix length] of {@code 10.0.0.0/8} or a single address; null when it is neither. */
    private static Object[] cidr(String s) {
        String[] parts = s.trim().split("/", 2);
        boolean v4 = parts[0].matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = parts[0].contains(":") && parts[0].matches("[0-9a-fA-F:.]+");
        if (!v4 && !v6) {
            return null; // literals only: a host name would mean a DNS lookup at every login
        }
        try {
            InetAddress a = InetAddress.getByName(parts[0]);
            int max = a.getAddress().length * 8;
            if (parts.length == 2 && !dev.atelier.core.AsciiNumbers.digits(parts[1])) {
                return null; // "/-0" or "/+0" would be /0: every address
            }
            int prefix = parts.length == 2 ? dev.atelier.core.AsciiNumbers.parseInt(parts[1]) : max;
            return prefix < 0 || prefix > max ? null : new Object[] {a, prefix};
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
    }

    private static boolean matches(InetAddress net, int prefix, InetAddress address) {
        byte[] n = net.getAddress();
        byte[] a = address.getAddress();
        if (n.length != a.length) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >> (bit % 8);
            if ((n[bit / 8] & mask) != (a[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    // ---- logins ---------------------------------------------------------------------------------------------

    /** The running instance {@code instanceId} if this key may log in from this address. */
    public Optional<Instance> login(String instanceId, String keyType, byte[] keyBlob, InetAddress address,
                                    List<String> refusal) {
        Instance inst = instances.get(instanceId).orElse(null);
        if (inst == null) {
            refusal.add("no instance " + instanceId);
            return Optional.empty();
        }
        SshEndpoint e = store.endpoint(inst.id()).orElse(null);
        if (e == null) {
            refusal.add("instance " + inst.id() + " has no SSH endpoint");
            return Optional.empty();
        }
        if (!allowed(e, address)) {
            refusal.add("address " + address.getHostAddress() + " is not allowed for instance " + inst.id());
            return Optional.empty();
        }
        if (inst.status() != InstanceStatus.RUNNING) {
            refusal.add("instance " + inst.id() + " is " + inst.status());
            return Optional.empty();
        }
        String presented = keyType + " " + Base64.getEncoder().encodeToString(keyBlob);
        for (String name : e.keyPairNames()) {
            Optional<KeyPair> k = store.get(inst.projectId(), name);
            if (k.isPresent()) {
                String[] parts = k.get().publicKey().split("\\s+");
                if (presented.equals(parts[0] + " " + parts[1])) {
                    // a key pair stands for the user who registered it: they must still be allowed in (a name
                    // freed and registered again by someone else opens nothing)
                    if (mayUse(k.get().userId(), inst)) {
                        return Optional.of(inst);
                    }
                    refusal.add("the key's owner may not use instance " + inst.id());
                    return Optional.empty();
                }
            }
        }
        refusal.add("the key is not one of instance " + inst.id() + "'s key pairs");
        return Optional.empty();
    }

    /** Whether a user, enabled, owns the instance or administers its project (or the service). */
    private boolean mayUse(String userId, Instance inst) {
        Optional<IdentityStore.User> u = identities.user(userId).filter(IdentityStore.User::enabled);
        if (u.isEmpty()) {
            return false;
        }
        if (u.get().serviceAdmin()) {
            return true;
        }
        String role = identities.rolesOf(userId).get(inst.projectId());
        return role != null && userId.equals(inst.ownerId()) || Caller.PROJECT_ADMIN.equals(role);
    }
}
