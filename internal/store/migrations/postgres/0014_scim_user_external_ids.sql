-- The identity provider's own id for a SCIM User, its "externalId" (RFC 7643
-- 3.1): kept so the provider can find the user again by it (filter
-- externalId eq "..."), as for Groups (0012). A table of its own, like the
-- groups': it belongs to SCIM, not to the account, and goes with its user.
-- Not unique, for the same reason as the groups'.
CREATE TABLE scim_user_external_ids (
    user_id     BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    org_id      BIGINT NOT NULL REFERENCES orgs(id),
    external_id TEXT NOT NULL
);
CREATE INDEX scim_user_external_ids_org ON scim_user_external_ids(org_id, external_id);
