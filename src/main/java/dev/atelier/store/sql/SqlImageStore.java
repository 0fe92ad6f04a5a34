package dev.atelier.store.sql;

import dev.atelier.core.model.ImageStatus;
import dev.atelier.core.model.Image;
import dev.atelier.core.port.ImageStore;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlStatement;
import org.jdbi.v3.core.statement.StatementContext;

/** {@link ImageStore} on SQL. List-valued fields are stored comma-separated (their values have no commas). */
public final class SqlImageStore implements ImageStore {
    private static final String COLUMNS = "id, project_id, workspace_id, name, namespace, tag, swr_path, description, "
            + "arch, type, visibility, origin, dev_services, resource_categories, service_type, status, status_message, "
            + "size_kb, runnable, skeleton, source_instance_id, create_at, update_at";
    private final Jdbi jdbi;

    public SqlImageStore(Database db) {
        this.jdbi = db.jdbi();
    }

    @Override
    public void insert(Image i) {
        jdbi.useHandle(h -> bind(h.createUpdate("INSERT INTO images (" + COLUMNS + ") VALUES (:id, :project_id, "
                + ":workspace_id, :name, :namespace, :tag, :swr_path, :description, :arch, :type, :visibility, "
                + ":origin, :dev_services, :resource_categories, :service_type, :status, :status_message, :size_kb, "
                + ":runnable, :skeleton, :source_instance_id, :create_at, :update_at)"), i).execute());
    }

    @Override
    public Optional<Image> get(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM images WHERE id = :id").bind("id", id)
                .map(SqlImageStore::map).findOne());
    }

    @Override
    public void update(Image i) {
        jdbi.useHandle(h -> bind(h.createUpdate("UPDATE images SET status = :status, status_message = :status_message, "
                + "size_kb = :size_kb, runnable = :runnable, skeleton = :skeleton, "
                + "update_at = :update_at WHERE id = :id"), i).execute());
    }

    @Override
    public boolean delete(String id) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM images WHERE id = :id").bind("id", id).execute()) == 1;
    }

    @Override
    public List<Image> visibleTo(String projectId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM images WHERE project_id = :p "
                + "OR visibility = 'PUBLIC' ORDER BY create_at DESC, id").bind("p", projectId)
                .map(SqlImageStore::map).list());
    }

    @Override
    public Optional<Image> pendingSave(String instanceId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM images WHERE source_instance_id = :i "
                + "AND status IN ('INIT', 'CREATING') ORDER BY create_at").bind("i", instanceId)
                .map(SqlImageStore::map).findFirst());
    }

    @Override
    public Optional<String> readMe(String projectId, String groupId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT read_me FROM image_group_read_me WHERE project_id = :p "
                + "AND group_id = :g").bind("p", projectId).bind("g", groupId).mapTo(String.class).findOne());
    }

    @Override
    public void putReadMe(String projectId, String groupId, String readMe) {
        jdbi.useTransaction(h -> {
            h.createUpdate("DELETE FROM image_group_read_me WHERE project_id = :p AND group_id = :g")
                    .bind("p", projectId).bind("g", groupId).execute();
            h.createUpdate("INSERT INTO image_group_read_me (project_id, group_id, read_me) VALUES (:p, :g, :r)")
                    .bind("p", projectId).bind("g", groupId).bind("r", readMe).execute();
        });
    }

    private static <S extends SqlStatement<S>> S bind(S s, Image i) {
        return s.bind("id", i.id()).bind("project_id", i.projectId()).bind("workspace_id", i.workspaceId())
                .bind("name", i.name()).bind("namespace", i.namespace()).bind("tag", i.tag())
                .bind("swr_path", i.swrPath()).bind("description", i.description()).bind("arch", i.arch())
                .bind("type", i.type()).bind("visibility", i.visibility()).bind("origin", i.origin())
                .bind("dev_services", String.join(",", i.devServices()))
                .bind("resource_categories", String.join(",", i.resourceCategories()))
                .bind("service_type", i.serviceType()).bind("status", i.status().name())
                .bind("status_message", i.statusMessage()).bind("size_kb", i.sizeKb())
                .bind("runnable", i.runnable()).bind("skeleton", i.skeleton())
                .bind("source_instance_id", i.sourceInstanceId()).bind("create_at", i.createAt())
                .bind("update_at", i.updateAt());
    }

    private static Image map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Image(rs.getString("id"), rs.getString("project_id"), rs.getString("workspace_id"),
                rs.getString("name"), rs.getString("namespace"), rs.getString("tag"), rs.getString("swr_path"),
                rs.getString("description"), rs.getString("arch"), rs.getString("type"), rs.getString("visibility"),
                rs.getString("origin"), split(rs.getString("dev_services")), split(rs.getString("resource_categories")),
                rs.getString("service_type"), ImageStatus.valueOf(rs.getString("status")), rs.getString("status_message"),
                rs.getLong("size_kb"), rs.getString("runnable"), rs.getString("skeleton"),
                rs.getString("source_instance_id"), rs.getLong("create_at"), rs.getLong("update_at"));
    }

    private static List<String> split(String csv) {
        return csv.isEmpty() ? List.of() : Arrays.asList(csv.split(","));
    }
}
