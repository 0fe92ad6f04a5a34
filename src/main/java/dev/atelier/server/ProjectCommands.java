package dev.atelier.server;

import dev.atelier.api.http.IdentityRoutes;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code atelier project …}: projects and their members, through a running server's admin API or straight on the
 * data dir, as {@link AdminCommands} acts.
 */
@Command(name = "project", mixinStandardHelpOptions = true,
        description = "Projects and their members: list, show, create, delete, members, add-member, remove-member.",
        subcommands = {ProjectCommands.ProjectList.class, ProjectCommands.ProjectShow.class,
                ProjectCommands.ProjectCreate.class, ProjectCommands.ProjectDelete.class,
                ProjectCommands.ProjectMembers.class, ProjectCommands.ProjectAddMember.class,
                ProjectCommands.ProjectRemoveMember.class})
final class ProjectCommands {
    private ProjectCommands() {
    }

    @Command(name = "list", description = "List projects.")
    static final class ProjectList implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", AdminCommands.ADMIN_API + "/projects", null, o -> Map.of("projects",
                    o.service().projects(o.caller()).stream().map(IdentityRoutes::project).toList()));
        }
    }

    @Command(name = "show", description = "Show a project.")
    static final class ProjectShow implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", AdminCommands.ADMIN_API + "/projects/" + AdminCommands.enc(project), null,
                    o -> IdentityRoutes.project(o.service().project(o.caller(), project)));
        }
    }

    @Command(name = "create", description = "Create a project.")
    static final class ProjectCreate implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name.")
        String name;

        @Override
        public Integer call() throws Exception {
            return target.run("POST", AdminCommands.ADMIN_API + "/projects", AdminCommands.body("name", name),
                    o -> IdentityRoutes.project(o.service().createProject(o.caller(), name)));
        }
    }

    @Command(name = "delete", description = "Delete a project that has no instances.")
    static final class ProjectDelete implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;

        @Override
        public Integer call() throws Exception {
            return target.run("DELETE", AdminCommands.ADMIN_API + "/projects/" + AdminCommands.enc(project), null,
                    o -> IdentityRoutes.project(o.service().deleteProject(o.caller(), project)));
        }
    }

    @Command(name = "members", description = "List a project's members.")
    static final class ProjectMembers implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;

        @Override
        public Integer call() throws Exception {
            return target.run("GET", AdminCommands.ADMIN_API + "/projects/" + AdminCommands.enc(project) + "/members", null,
                    o -> Map.of("members", o.service().members(o.caller(), project).stream()
                            .map(IdentityRoutes::member).toList()));
        }
    }

    @Command(name = "add-member", description = "Add a user to a project, or change their role there.")
    static final class ProjectAddMember implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;
        @Parameters(index = "1", description = "User name or id.")
        String user;
        @Option(names = "--role", defaultValue = "member", description = "admin or member (default ${DEFAULT-VALUE}).")
        String role;

        @Override
        public Integer call() throws Exception {
            return target.run("PUT", AdminCommands.ADMIN_API + "/projects/" + AdminCommands.enc(project) + "/members/" + AdminCommands.enc(user),
                    AdminCommands.body("role", role), o -> IdentityRoutes.member(o.service().setMember(o.caller(), project, user,
                            role)));
        }
    }

    @Command(name = "remove-member", description = "Remove a user from a project.")
    static final class ProjectRemoveMember implements Callable<Integer> {
        @Mixin
        AdminCommands.Target target;
        @Parameters(index = "0", description = "Project name or id.")
        String project;
        @Parameters(index = "1", description = "User name or id.")
        String user;

        @Override
        public Integer call() throws Exception {
            return target.run("DELETE", AdminCommands.ADMIN_API + "/projects/" + AdminCommands.enc(project) + "/members/" + AdminCommands.enc(user),
                    null, o -> IdentityRoutes.member(o.service().removeMember(o.caller(), project, user)));
        }
    }
}
