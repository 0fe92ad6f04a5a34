package dev.atelier.api.http.console;

import dev.atelier.api.http.Views;
import java.util.List;

/** What the console's templates show: plain values, worked out before rendering so that templates only lay out. */
public final class Models {
    private Models() {
    }

    /** A notebook in a list. {@code owner}: shown when the list is the whole project's. */
    public record Row(String id, String name, String status, String badge, String flavor, String image,
                      String created, String leaseLeft, String owner, String reason) {
    }

    /** A page of the notebook list, with its filters. {@code live}: some notebook is on its way somewhere. */
    public record NotebookList(List<Row> rows, String name, String status, boolean all, int page, int pages,
                               long total, boolean live, String query, List<Shell.Choice> statuses) {
    }

    /** A progress step: its number, what it does, and whether it is waiting, running, done or failed. */
    public record Step(int step, String description, String status) {
    }

    /** One of the notebook's events. */
    public record Event(String at, String kind, String who, String status, String message) {
    }

    /** What may be done to a notebook in its status (the core's table of transitions decides). */
    public record Actions(boolean open, boolean start, boolean stop, boolean delete, boolean renew, boolean saveImage,
                          boolean change, boolean attach) {
    }

    /** Object storage attached to a notebook. */
    public record MountRow(String id, String mountPath, String uri, String status, String failure) {
    }

    /** A notebook's page: the v1 view of it, and what the page says about it. */
    public record Detail(Views.NotebookResp nb, String badge, String created, String leaseLeft, List<Step> steps,
                         String reason, boolean live, Actions can, String sshUri, String sshCommand, String sshConfig,
                         String image, List<Event> events, List<Shell.Choice> flavors, List<MountRow> mounts) {
    }

    /** The create form: what may be chosen, and what was. */
    public record CreateForm(List<FlavorGroup> flavorGroups, List<Shell.Choice> images, List<Shell.Choice> keyPairs,
                             boolean sshEnabled, List<Shell.Choice> autoStop, String name, String description,
                             int storageGb, String allowedIps) {
    }

    /** Flavors of one category (CPU, GPU, Ascend), for an optgroup. */
    public record FlavorGroup(String label, List<FlavorOption> flavors) {
    }

    public record FlavorOption(String id, String label, boolean soldOut, boolean selected) {
    }

    /** An image in the images list. */
    public record ImageRow(String id, String name, String swrPath, String arch, String type, String status,
                           String created, boolean deletable) {
    }

    /** An image group: the versions (tags) of one image name. */
    public record GroupRow(String name, String namespace, int versions, String updated) {
    }

    public record KeyPairRow(String name, String fingerprint, String created) {
    }

    public record AccessKeyRow(String accessKey, String description, boolean enabled, String created) {
    }

    /** A user, with their access keys (for the service administrator). */
    public record UserRow(String id, String name, boolean serviceAdmin, boolean enabled, String created,
                          List<AccessKeyRow> keys) {
    }

    public record ProjectRow(String id, String name, String created, List<MemberRow> members) {
    }

    public record MemberRow(String userId, String userName, String role) {
    }

    public record AuditRow(String at, String user, String address, String method, String path, int status,
                           String errorCode, String requestId) {
    }

    /** One line of the capacity table: instances of a pool in a status. */
    public record CapacityRow(String pool, String status, long count) {
    }

    /** A pool at a glance: what it sells, what its seated instances take of its room, how many wait. */
    public record PoolRow(String id, String name, String type, String flavors, String used, int queued) {
    }

    /** How many instances of a flavor hold a seat in a pool. */
    public record FlavorUse(String flavor, String pool, int seated) {
    }
}
