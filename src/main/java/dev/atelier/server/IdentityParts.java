package dev.atelier.server;

import dev.atelier.core.auth.SecretBox;
import dev.atelier.core.auth.SignInLimiter;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.service.SignIns;
import dev.atelier.store.sql.Database;
import dev.atelier.store.sql.SqlAuditStore;
import dev.atelier.store.sql.SqlIdentityStore;
import dev.atelier.store.sql.SqlInstanceStore;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The identity side of a server on one database: its stores, the server key, the sign-in limiter and the services
 * over them. Both the server ({@link Atelier}) and the administration commands on a data dir
 * ({@code AdminCommands}) build it here, so that they cannot drift apart.
 */
record IdentityParts(SqlIdentityStore store, SqlAuditStore audit, SqlInstanceStore instances, SecretBox secrets,
                     SignInLimiter limiter, IdentityService service, SignIns signIns) {

    /** Reads (or, on a new data dir, creates) the server key; {@code clock} is the one the service keeps time by. */
    static IdentityParts open(Database db, Path dataDir, ServerConfig.SignIn limits, Clock clock) {
        var store = new SqlIdentityStore(db);
        var audit = new SqlAuditStore(db);
        var instances = new SqlInstanceStore(db);
        var limiter = new SignInLimiter(limits.perAccountAndAddress(), limits.perAddress(),
                SignInLimiter.DEFAULT_WINDOW, Clock.systemUTC());
        SecretBox secrets = Bootstrap.serverKey(dataDir);
        return new IdentityParts(store, audit, instances, secrets, limiter,
                new IdentityService(store, secrets, instances, audit, clock), new SignIns(store, limiter, clock));
    }
}
