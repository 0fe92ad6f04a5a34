package dev.atelier.api.http;

import dev.atelier.api.InstanceIds;
import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import dev.atelier.core.model.Feature;
import dev.atelier.core.model.InstanceStatus;
import dev.atelier.core.model.WorkspaceId;
import dev.atelier.core.port.InstanceStore;
import dev.atelier.core.port.InstanceStore.InstanceQuery;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The query parameters of the v1 notebook lists (reference §2.2), checked and turned into the core's query. */
final class NotebookListQuery {
    static final int DEFAULT_LIMIT = 10;
    static final int MAX_LIMIT = 1000;
    private static final Pattern POOL = Pattern.compile("[a-z][a-z0-9-]{3,63}");

    private NotebookListQuery() {
    }

    static InstanceQuery.Builder parse(Context ctx) {
        for (String unsupported : List.of("tags", "billing")) {
            if (Requests.query(ctx, unsupported) != null) {
                // refusing beats silently ignoring a filter and returning a list that looks filtered
                throw bad("the " + unsupported + " filter is not supported by this server");
            }
        }
        InstanceQuery.Builder query = InstanceQuery.in(ctx.pathParam("project_id"))
                .page(Requests.intParam(ctx, "offset", 0, 0, Integer.MAX_VALUE),
                        Requests.intParam(ctx, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT));
        String name = Requests.query(ctx, "name");
        if (name != null && name.length() > 128) {
            throw bad("name must be at most 128 characters");
        }
        String status = Requests.query(ctx, "status");
        if (status != null) {
            InstanceStatus s = InstanceStatus.parse(status);
            if (s == null) {
                throw bad("status must be one of " + Arrays.toString(InstanceStatus.values()));
            }
            query.statuses(List.of(s));
        }
        String featureParam = Requests.query(ctx, "feature");
        Feature feature = featureParam == null ? null
                : Feature.parse(featureParam).orElseThrow(() -> bad("feature must be NOTEBOOK or DEFAULT"));
        String workspace = Requests.query(ctx, "workspace_id");
        String pool = Requests.query(ctx, "pool_id");
        if (pool != null && !POOL.matcher(pool).matches()) {
            throw bad("pool_id must be 4 to 64 lower-case letters, digits and '-', starting with a letter");
        }
        return query.nameContains(name).feature(feature).owner(Requests.query(ctx, "owner"))
                .workspace(WorkspaceId.check(workspace != null ? workspace : Requests.query(ctx, "workspaceId"),
                        ErrorCode.INVALID_PARAMETER))
                .pool(pool).flavor(Requests.query(ctx, "flavor")).image(Requests.query(ctx, "image_id"))
                .id(InstanceIds.canonical(Requests.query(ctx, "id"))).sort(sort(ctx));
    }

    private static List<InstanceStore.Sort> sort(Context ctx) {
        boolean ascending = false;
        String sortDir = Requests.query(ctx, "sort_dir");
        if (sortDir != null) {
            String dir = sortDir.toUpperCase(Locale.ROOT);
            if (!dir.equals("ASC") && !dir.equals("DESC")) {
                throw bad("sort_dir must be ASC or DESC");
            }
            ascending = dir.equals("ASC");
        }
        String sortKey = Requests.query(ctx, "sort_key");
        if (sortKey == null) {
            return List.of(new InstanceStore.Sort("create_at", ascending));
        }
        if (sortKey.length() > 128) {
            throw bad("sort_key must be at most 128 characters");
        }
        List<InstanceStore.Sort> sort = new ArrayList<>();
        for (String key : sortKey.split(",")) {
            String field = key.trim().toLowerCase(Locale.ROOT);
            if (!InstanceQuery.SORTABLE.contains(field)) {
                throw new AtelierException(ErrorCode.UNSUPPORTED_SORT, "sorting by '" + key.trim()
                        + "' is not supported; sort_key takes " + String.join(", ", InstanceQuery.SORTABLE));
            }
            sort.add(new InstanceStore.Sort(field, ascending));
        }
        return sort;
    }

    private static AtelierException bad(String message) {
        return new AtelierException(ErrorCode.INVALID_PARAMETER, message);
    }
}
