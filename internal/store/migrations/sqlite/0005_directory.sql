-- The enterprise directory (docs/directory.md, ADR 0012): the department
-- tree, directory profiles, custom profile fields, @-mentionable user
-- groups, department channels and the per-organisation permission scheme.

-- A department is a node of one organisation's tree. path lists the ids from
-- the top down to the department itself ('/1/5/9/'), so that a subtree is
-- one indexed prefix query and a move rewrites the paths below it with one
-- UPDATE; parent_id is the same information for readers and constraints.
CREATE TABLE departments (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    parent_id   INTEGER NOT NULL DEFAULT 0,  -- 0 for a top-level department
    path        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,                    -- lower-cased name: unique among siblings
    sort_order  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX departments_org_path ON departments(org_id, path);
CREATE UNIQUE INDEX departments_sibling_name ON departments(org_id, parent_id, name_key);

-- A user belongs to any number of departments; heads are flagged per
-- department.
CREATE TABLE department_members (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    org_id        INTEGER NOT NULL,
    is_head       INTEGER NOT NULL DEFAULT 0,
    sort_order    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (department_id, user_id)
) WITHOUT ROWID;
CREATE INDEX department_members_user ON department_members(user_id, department_id);

-- The scope of a department admin (role 'dept_admin'): the subtrees rooted
-- at these departments.
CREATE TABLE department_admins (
    department_id INTEGER NOT NULL REFERENCES departments(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    org_id        INTEGER NOT NULL,
    PRIMARY KEY (department_id, user_id)
) WITHOUT ROWID;
CREATE INDEX department_admins_user ON department_admins(user_id, department_id);

-- Directory profile. name_pinyin and name_initials are search keys derived
-- from the display name ('zhangsan', 'zs' for 张三), written with it.
ALTER TABLE users ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN employee_no TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN manager_id INTEGER NOT NULL DEFAULT 0;  -- 0: none
ALTER TABLE users ADD COLUMN name_pinyin TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_org_employee_no ON users(org_id, employee_no) WHERE employee_no <> '';

-- Custom profile fields, defined per organisation.
CREATE TABLE profile_fields (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT    NOT NULL,
    name_key    TEXT    NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0,
    admin_only  INTEGER NOT NULL DEFAULT 0,   -- 1: only admins may edit the value
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX profile_fields_org_name ON profile_fields(org_id, name_key);

CREATE TABLE profile_values (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    field_id  INTEGER NOT NULL REFERENCES profile_fields(id),
    org_id    INTEGER NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (user_id, field_id)
) WITHOUT ROWID;
CREATE INDEX profile_values_field ON profile_values(field_id);

-- User groups that can be @mentioned by handle.
CREATE TABLE user_groups (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    handle      TEXT    NOT NULL,             -- lower-case, as in @handle
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX user_groups_org_handle ON user_groups(org_id, handle);

CREATE TABLE user_group_members (
    group_id INTEGER NOT NULL REFERENCES user_groups(id),
    user_id  INTEGER NOT NULL REFERENCES users(id),
    org_id   INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX user_group_members_user ON user_group_members(user_id);

-- A department channel follows its department's subtree; pinyin keys make
-- channels findable as users are.
ALTER TABLE channels ADD COLUMN department_id INTEGER NOT NULL DEFAULT 0;  -- 0: not bound
ALTER TABLE channels ADD COLUMN name_pinyin TEXT NOT NULL DEFAULT '';
ALTER TABLE channels ADD COLUMN name_initials TEXT NOT NULL DEFAULT '';
CREATE INDEX channels_department ON channels(org_id, department_id) WHERE department_id <> 0;

-- The permission scheme: one row per setting an organisation changed from
-- its default (the defaults live in account/permission.go).
CREATE TABLE org_permissions (
    org_id  INTEGER NOT NULL REFERENCES orgs(id),
    name    TEXT    NOT NULL,
    value   TEXT    NOT NULL,
    PRIMARY KEY (org_id, name)
) WITHOUT ROWID;

-- Events for everyone but guests (event.Event.NoGuests): a public
-- channel's news and directory changes.
ALTER TABLE events ADD COLUMN no_guests INTEGER NOT NULL DEFAULT 0;
