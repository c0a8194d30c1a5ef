-- The identity provider's own id for a SCIM Group (a department, ADR 0014),
-- its "externalId" (RFC 7643 3.1): kept so the provider can find the group
-- again by it (filter externalId eq "..."). It belongs to SCIM, not to the
-- directory, hence a table of its own that goes with its department.
-- Not unique: RFC 7643 leaves that to the provider, and two tokens of an
-- organisation may be two providers with their own id spaces.
CREATE TABLE scim_group_external_ids (
    department_id BIGINT  PRIMARY KEY REFERENCES departments(id) ON DELETE CASCADE,
    org_id        BIGINT  NOT NULL REFERENCES orgs(id),
    external_id   TEXT    NOT NULL
);
CREATE INDEX scim_group_external_ids_org ON scim_group_external_ids(org_id, external_id);
