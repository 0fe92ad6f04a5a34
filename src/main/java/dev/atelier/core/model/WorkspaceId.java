package dev.atelier.core.model;

import dev.atelier.core.AtelierException;
import dev.atelier.core.ErrorCode;
import java.util.regex.Pattern;

/** The one rule for a workspace id: {@code 0} (the default workspace) or 32 lower-case letters and digits. */
public final class WorkspaceId {
    public static final String DEFAULT = "0";
    private static final Pattern FORM = Pattern.compile("0|[0-9a-z]{32}");

    private WorkspaceId() {
    }

    /**
     * The workspace id given, or the default one when none is; refused with {@code code} (which says where it came
     * from: a body field or a query parameter) when it is not of that form.
     */
    public static String check(String id, ErrorCode code) {
        String w = id == null ? DEFAULT : id;
        if (!FORM.matcher(w).matches()) {
            throw new AtelierException(code, "workspace_id must be \"0\" or 32 characters of lower-case letters and "
                    + "digits");
        }
        return w;
    }
}
