package dev.atelier.core.service;

import java.util.List;

/** A RegisterImage request (reference §2.16); null means "not given". */
public record RegisterImage(String swrPath, String arch, String description, String origin,
                            List<String> resourceCategories, String serviceType, List<String> services,
                            String visibility, String workspaceId) {
}
