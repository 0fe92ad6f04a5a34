package dev.atelier.store.sql;

import dev.atelier.core.model.Instance;
import dev.atelier.core.model.Mount;
import dev.atelier.core.model.MountStatus;
import dev.atelier.core.port.InstanceReads;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.KeyPairStore.SshEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link InstanceReads} straight from SQL, every read a round trip: the record through {@link InstanceStore#get};
 * tags, mounts and SSH endpoints in one statement (a {@code UNION ALL} of the three tables, each row tagged with
 * its kind), so that a show costs two store round trips instead of four. {@link CachedInstanceReads} keeps what
 * this reads.
 */
public final class SqlInstanceReads implements InstanceReads {
    private static final int TAG = 1;
    private static final int MOUNT = 2;
    private static final int SSH = 3;
    private static final String SQL = "SELECT " + TAG + " AS kind, instance_id, tag_key AS s1, tag_value AS s2, "
            + "NULL AS s3, NULL AS s4, NULL AS s5, NULL AS s6, CAST(NULL AS BIGINT) AS n1, CAST(NULL AS BIGINT) AS n2 "
            + "FROM instance_tags WHERE instance_id IN (<ids>) "
            + "UNION ALL SELECT " + MOUNT + ", instance_id, id, category, mount_path, uri, status, failure_reason, "
            + "create_at, update_at FROM mounts WHERE instance_id IN (<ids>) "
            + "UNION ALL SELECT " + SSH + ", instance_id, key_pair_names, allowed_access_ips, NULL, NULL, NULL, NULL, "
            + "NULL, NULL FROM instance_ssh WHERE instance_id IN (<ids>)";
    /** Tag keys in code-point order, as both databases sort them in binary collation. */
    private static final Comparator<String> CODE_POINTS = (a, b) -> {
        for (int i = 0, j = 0; i < a.length() && j < b.length(); ) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.codePointCount(0, a.length()), b.codePointCount(0, b.length()));
    };
    private static final Comparator<Mount> MADE = Comparator.comparingLong(Mount::createAt).thenComparing(Mount::id);

    private final Jdbi jdbi;
    private final InstanceStore instances;

    public SqlInstanceReads(Database db, InstanceStore instances) {
        this.jdbi = db.jdbi();
        this.instances = instances;
    }

    @Override
    public Optional<Instance> instance(String id) {
        return instances.get(id);
    }

    @Override
    public Map<String, Details> details(Collection<String> instanceIds) {
        Map<String, Details> out = new HashMap<>();
        if (instanceIds.isEmpty()) {
            return out;
        }
        Map<String, TreeMap<String, String>> tags = new HashMap<>();
        Map<String, List<Mount>> mounts = new HashMap<>();
        Map<String, SshEndpoint> ssh = new HashMap<>();
        jdbi.useHandle(h -> h.createQuery(SQL).bindList("ids", List.copyOf(instanceIds)).map((rs, ctx) -> {
            String id = rs.getString("instance_id");
            switch (rs.getInt("kind")) {
                case TAG -> tags.computeIfAbsent(id, k -> new TreeMap<>(CODE_POINTS))
                        .put(rs.getString("s1"), rs.getString("s2"));
                case MOUNT -> mounts.computeIfAbsent(id, k -> new ArrayList<>()).add(new Mount(rs.getString("s1"), id,
                        rs.getString("s2"), rs.getString("s3"), rs.getString("s4"), MountStatus.valueOf(rs.getString("s5")),
                        rs.getString("s6"), rs.getLong("n1"), rs.getLong("n2")));
                default -> ssh.put(id, new SshEndpoint(SqlKeyPairStore.split(rs.getString("s1")),
                        SqlKeyPairStore.split(rs.getString("s2"))));
            }
            return id;
        }).forEach(id -> { }));
        for (String id : instanceIds) {
            List<Mount> m = mounts.getOrDefault(id, List.of());
            if (m.size() > 1) {
                m.sort(MADE);
            }
            Map<String, String> t = tags.get(id);
            out.put(id, t == null && m.isEmpty() && !ssh.containsKey(id) ? Details.NONE
                    : new Details(t == null ? Map.of() : t, m, Optional.ofNullable(ssh.get(id))));
        }
        return out;
    }
}
