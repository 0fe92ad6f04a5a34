package dev.atelier.api.http.console;

import dev.atelier.api.http.NotebookViews;
import dev.atelier.core.auth.Authenticator;
import dev.atelier.core.port.Census;
import dev.atelier.core.service.Catalog;
import dev.atelier.core.service.EventLog;
import dev.atelier.core.service.IdentityService;
import dev.atelier.core.service.ImageService;
import dev.atelier.core.service.InstanceService;
import dev.atelier.core.service.Pools;
import dev.atelier.core.service.SignIns;
import dev.atelier.core.service.SshAccess;
import java.time.Clock;

/**
 * What the console is built on: the core services the v1 API uses (so that neither holds a rule of its own), the
 * notebook view both show, and {@code csrfKey}, a key of the server's for the CSRF tokens of forms.
 * {@code census} counts instances by status and pool for the administrators' capacity page.
 */
public record ConsoleServices(Authenticator authenticator, IdentityService identity, SignIns signIns,
                              byte[] csrfKey,
                              InstanceService instances, NotebookViews views, Catalog catalog, ImageService images,
                              dev.atelier.core.service.StorageService storage,
                              Pools pools, SshAccess ssh, EventLog events, Census census, Clock clock) {
}
