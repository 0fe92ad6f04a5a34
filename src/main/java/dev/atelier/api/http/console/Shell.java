package dev.atelier.api.http.console;

import java.util.List;

/**
 * What every console page shows around its content: the title, which part of the navigation is current, who is
 * signed in and where, the CSRF token for its forms, and a message from the last action.
 */
public record Shell(String title, String nav, String user, String projectName, List<Choice> projects,
                    boolean projectAdmin, boolean serviceAdmin, String csrf, String notice, String error) {

    /** An option of a select: its value, what it shows, whether it is chosen. */
    public record Choice(String value, String label, boolean selected) {
    }

    /** The shell of a page nobody is signed in to. */
    public static Shell anonymous(String title, String notice, String error) {
        return new Shell(title, "", null, null, List.of(), false, false, "", notice, error);
    }

    /** For fragments that the console's own polls fetch: their forms take the token from the page they land in. */
    public Shell withoutCsrf() {
        return new Shell(title, nav, user, projectName, projects, projectAdmin, serviceAdmin, "", notice, error);
    }

    public Shell withError(String message) {
        return new Shell(title, nav, user, projectName, projects, projectAdmin, serviceAdmin, csrf, notice, message);
    }
}
