# Generates internal/httpapi/openapi.json, the OpenAPI 3.1 document of the
# REST API. Run from the repository root: python3 scripts/openapi.py
# internal/httpapi/openapi_test.go checks the result against the route table
# and the wire types, so edit this file when a route or a wire type changes.
import json, collections

def ref(name): return {"$ref": "#/components/schemas/" + name}
ID = {"type": "integer", "format": "int64"}
def idf(desc): return dict(ID, description=desc)
TIME = {"type": ["string", "null"], "format": "date-time"}
def timef(desc): return dict(TIME, description=desc)
STAMP = {"type": "string", "format": "date-time"}
def stampf(desc): return dict(STAMP, description=desc)
def s(desc, **kw): d = {"type": "string", "description": desc}; d.update(kw); return d
def i(desc, **kw): d = {"type": "integer", "description": desc}; d.update(kw); return d
def b(desc): return {"type": "boolean", "description": desc}
def ids(desc, **kw): d = {"type": "array", "items": dict(ID), "description": desc}; d.update(kw); return d
def arr(name, desc): return {"type": "array", "items": ref(name), "description": desc}

def obj(desc, props, required=None, request=False):
    o = {"type": "object", "description": desc, "properties": props}
    if required is None and not request:
        required = list(props)
    if required:
        o["required"] = required
    if request:
        o["additionalProperties"] = False
    return o

USER_ROLE = ["owner", "admin", "dept_admin", "member", "guest", "bot"]
CHAN_ROLE = ["owner", "admin", "member", "readonly"]

schemas = collections.OrderedDict()
# ---- wire types (wire.go)
schemas["User"] = obj("A user of the caller's organisation.", {
    "id": idf("User id."),
    "email": s("Lower-cased e-mail address.", format="email"),
    "username": s("Lower-cased username, 2–40 of a–z, 0–9, '.', '_', '-'."),
    "display_name": s("Display name, 1–80 characters."),
    "avatar_url": s("http(s) or site-relative URL of the avatar, or empty."),
    "locale": s("Preferred language, or empty for the browser's choice.", enum=["", "zh-CN", "en"]),
    "time_zone": s("IANA time zone name, or empty."),
    "status_text": s("Status line, at most 140 characters."),
    "title": s("Job title, at most 80 characters."),
    "employee_no": s("Employee number, unique in the organisation when set."),
    "phone": s("Phone number; empty when the permission scheme hides phones from the caller."),
    "manager_id": idf("User id of the manager; 0 for none."),
    "role": s("Role in the organisation.", enum=USER_ROLE),
    "is_guest": b("The user is a guest (role `guest`): clients mark guests visibly."),
    "active": b("False once an admin has deactivated the user."),
    "created_at": stampf("When the user was created."),
})
schemas["Org"] = obj("The caller's organisation.", {
    "id": idf("Organisation id."),
    "name": s("Organisation name, 1–80 characters."),
    "recall_window_seconds": i("How long authors may recall their messages, in seconds (0–31536000).", format="int64", minimum=0, maximum=31536000),
    "receipt_max_members": i("Largest channel (in members) that shows read receipts (2–10000).", minimum=2, maximum=10000),
    "link_previews": b("Links in messages get previews (title, description, site name) fetched by the server; on by default."),
    "file_max_bytes": i("Largest file a member may upload, in bytes (default 100 MiB, at most 5 GiB).", format="int64", minimum=1, maximum=5 << 30),
    "file_quota_bytes": i("Total size of the files one member may have uploaded, in bytes (default 10 GiB).", format="int64", minimum=0),
    "created_at": stampf("When the organisation was created."),
})
MEMBERSHIP_PROPS = collections.OrderedDict([
    ("role", s("The caller's role in the channel. `readonly` members of announcement channels read but never post.", enum=CHAN_ROLE)),
    ("last_read_seq", i("Sequence of the last message the caller has read.", format="int64", minimum=0)),
    ("unread_count", i("Top-level messages after last_read_seq.", minimum=0)),
    ("mention_count", i("Mentions of the caller after last_read_seq.", minimum=0)),
    ("muted", b("The caller muted the channel.")),
    ("starred", b("The caller starred the channel.")),
    ("star_order", i("Position among starred channels (0–1000000).", minimum=0, maximum=1000000)),
])
schemas["Membership"] = obj("The caller's own membership of a channel, with read state.", dict(MEMBERSHIP_PROPS))
rs = collections.OrderedDict([("channel_id", idf("Channel id."))]); rs.update(MEMBERSHIP_PROPS)
schemas["ReadState"] = obj("The caller's membership of one channel; also the payload of the `read.updated` event.", rs)
schemas["Channel"] = obj("A channel, DM or group DM.", {
    "id": idf("Channel id."),
    "kind": s("`dm` is two people, `group` 3–16 people.", enum=["public", "private", "dm", "group"]),
    "name": s("Channel name, 1–80 characters without '#', '@' or line breaks; empty for DMs and group DMs."),
    "topic": s("Topic, at most 250 characters."),
    "purpose": s("Purpose, at most 250 characters."),
    "announcement": b("Only channel owners and admins may post."),
    "archived": b("Archived channels are read-only."),
    "created_by": idf("User id of the creator."),
    "created_at": stampf("When the channel was created."),
    "member_count": i("Number of members.", minimum=0),
    "last_seq": i("Sequence of the newest message; history has no holes below it.", format="int64", minimum=0),
    "last_message_at": timef("When the newest message was posted, or null."),
    "member_ids": ids("Member user ids, filled for `dm` and `group` only (empty otherwise)."),
    "department_id": idf("A department channel's department (its members follow the department's subtree); 0 for none."),
    "membership": dict(ref("Membership"), description="The caller's membership; absent when the caller is not a member, and in the answers of PATCH, archive and unarchive."),
}, required=["id", "kind", "name", "topic", "purpose", "announcement", "archived", "created_by", "created_at",
             "member_count", "last_seq", "last_message_at", "member_ids", "department_id"])
schemas["Member"] = obj("A member of a channel.", {
    "user_id": idf("User id."),
    "role": s("Role in the channel.", enum=CHAN_ROLE),
    "last_read_seq": i("Sequence of the last message the member has read.", format="int64", minimum=0),
})
schemas["MemberChange"] = obj("Payload of the `member.joined`, `member.left` and `member.updated` events.", {
    "channel_id": idf("Channel id."),
    "user_id": idf("The member who joined, left or changed role."),
    "role": s("The member's new role; absent for `member.left`.", enum=CHAN_ROLE),
    "by": idf("Who made the change."),
}, required=["channel_id", "user_id", "by"])
schemas["Receipt"] = obj("Payload of the `receipt.updated` event.", {
    "channel_id": idf("Channel id."),
    "user_id": idf("The reader."),
    "last_read_seq": i("The reader's new read position.", format="int64", minimum=0),
})
schemas["Reaction"] = obj("One emoji on a message.", {
    "emoji": s("The emoji."),
    "count": i("How many users reacted with it.", minimum=1),
    "user_ids": ids("Who reacted with it."),
})
schemas["LinkPreview"] = obj("What the page a message links to says about itself, fetched by the server after the message was posted (see docs/api.md, Link previews). Plain text: render as text, never as HTML. The image, when there is one, is a thumbnail the server re-encoded and keeps: clients load `image_url` from this server, never a remote image.", {
    "url": s("The link as written in the message (http or https)."),
    "title": s("The page's title (og:title or <title>), at most 200 characters; may be empty when there is a description."),
    "description": s("The page's description (og:description or meta description), at most 500 characters; may be empty."),
    "site_name": s("The site's name (og:site_name), at most 100 characters; may be empty."),
    "image_url": s("Path on this server of the page's image (og:image) re-encoded to fit in 400×400 pixels (`GET /api/v1/link-previews/images/{name}`); absent when the page has none or it was refused (blocked address, not an image, over 2 MiB, over 40 megapixels)."),
    "image_width": i("Width of the image in pixels; absent without image_url."),
    "image_height": i("Height of the image in pixels; absent without image_url."),
}, required=["url", "title", "description", "site_name"])
schemas["Message"] = obj("A message: a top-level message, a thread root or a reply. Deleted and recalled messages keep their place (`seq`) with empty `text`, no mentions, no reactions and no previews.", {
    "id": idf("Message id."),
    "channel_id": idf("Channel id."),
    "seq": i("Per-channel sequence, gap-free, in commit order.", format="int64", minimum=1),
    "client_id": s("The author's client id for this send (idempotency key)."),
    "author_id": idf("Author's user id."),
    "text": s("Markdown source, 1–16000 characters; empty when deleted or recalled."),
    "root_id": idf("Thread root id; 0 for top-level messages."),
    "also_in_channel": b("A reply also shown in the channel."),
    "reply_count": i("Number of replies (thread roots).", minimum=0),
    "last_reply_at": timef("When the newest reply was posted, or null."),
    "thread_participants": ids("Users who replied in the thread."),
    "mentions": ids("Users mentioned by @username (and, for @here, members online when it was sent)."),
    "mention_channel": b("The message mentions @channel or @all."),
    "mention_here": b("The message mentions @here."),
    "reactions": arr("Reaction", "Reactions, one entry per emoji."),
    "previews": arr("LinkPreview", "Previews of the message's first links (at most 3, in text order), filled in shortly after posting or editing and announced by `message.updated`; empty until then, for links without a usable page, and when the organisation turned previews off."),
    "files": arr("Attachment", "Files the message carries, in upload order; empty when deleted or recalled."),
    "pinned": b("Pinned in the channel."),
    "created_at": stampf("When the message was posted."),
    "edited_at": timef("When the text was last edited, or null."),
    "deleted": b("Deleted by its author or an admin."),
    "recalled": b("Recalled (撤回)."),
    "recalled_by": idf("Who recalled the message; 0 when not recalled."),
})
schemas["Frame"] = obj("One event on the realtime stream (see docs/realtime.md).", {
    "seq": i("Event sequence of the organisation; strictly increasing within a stream, not contiguous.", format="int64", minimum=1),
    "type": s("Event type, such as `message.posted`; ignore types you do not know."),
    "data": {"description": "The payload: a User, Org, Channel, Message, ReadState, MemberChange or Receipt, or an empty object."},
})
schemas["ErrorBody"] = obj("The body of every error response.", {"error": ref("ErrorDetail")})
schemas["ErrorDetail"] = obj("A stable machine code and a message in the caller's language.", {
    "code": s("Stable machine-readable code, such as `message_too_long`."),
    "message": s("Human-readable message in zh-CN or en, picked from Accept-Language."),
})
# ---- response envelopes (handlers)
schemas["SetupStatus"] = obj("Whether first-run setup is needed.", {"needed": b("True while no organisation exists.")})
schemas["LoginResponse"] = obj("The answer to a login or setup.", {
    "token": s("Bearer token; empty when a cookie session was requested."),
    "user": ref("User"),
    "two_factor_enrolment_required": b("The organisation requires two-factor authentication and the user has none: until they set it up (POST /api/v1/users/me/2fa/setup and /enable) every other route answers 403 `two_factor_enrolment_required`."),
})
schemas["TwoFactorChallenge"] = obj("The password was right and the user has two-factor authentication: finish with POST /api/v1/auth/login/2fa.", {
    "two_factor_required": {"type": "boolean", "const": True, "description": "Always true."},
    "challenge": s("Pass to POST /api/v1/auth/login/2fa; not a session token."),
    "expires_at": stampf("The challenge expires 5 minutes after the password step."),
})
schemas["SecurityPolicy"] = obj("The organisation's password and two-factor policy.", {
    "password_min_length": i("Minimum password length in characters, 8–64.", minimum=8, maximum=64),
    "password_min_classes": i("Minimum kinds of characters (lower-case, upper-case, digits, others), 1–4.", minimum=1, maximum=4),
    "require_2fa": b("Every user must use two-factor authentication; users without it set it up at their next login."),
    "sso_require_2fa": b("SSO and LDAP sign-ins also pass Parley's second step: a user with TOTP answers the same challenge as after a password, and under `require_2fa` a user without it must set it up. False (the default): the identity provider owns the second factor."),
})
schemas["TwoFactorStatus"] = obj("The caller's two-factor authentication.", {
    "enabled": b("TOTP two-factor authentication is on."),
    "recovery_codes_left": i("Unused recovery codes (0 when off).", minimum=0),
    "required": b("The organisation requires two-factor authentication."),
    "enrolment_required": b("This session may do nothing but set two-factor authentication up (an SSO sign-in while `sso_require_2fa` is off is not asked to, even when `required`)."),
})
schemas["TwoFactorSetup"] = obj("A new TOTP secret (SHA-1, 6 digits, 30 s) to add to an authenticator app; confirm with POST /api/v1/users/me/2fa/enable.", {
    "secret": s("The secret in base32, for typing in by hand."),
    "otpauth_uri": s("The `otpauth://totp/...` URI to show as a QR code."),
})
schemas["RecoveryCodes"] = obj("Single-use recovery codes, shown only this once; each replaces a TOTP code once.", {
    "recovery_codes": {"type": "array", "items": {"type": "string"}, "description": "10 codes like `abcd-efgh-jkmn-pqrs`."},
})
schemas["SessionInfo"] = obj("One of the caller's logins (a browser session or a bearer token from a password login).", {
    "id": idf("Session id."),
    "kind": s("`cookie` (a browser) or `token` (a bearer token from POST /auth/login).", enum=["cookie", "token"]),
    "user_agent": s("The User-Agent of the login."),
    "address": s("The client address of the login."),
    "created_at": stampf("When the login happened."),
    "last_used_at": timef("When the session was last used (updated at most every 5 minutes), or null."),
    "expires_at": stampf("When the session ends by itself."),
    "current": b("This is the session making the request."),
})
schemas["SessionList"] = obj("The caller's logins, newest first.", {"sessions": arr("SessionInfo", "The sessions.")})
schemas["TokenInfo"] = obj("A personal access token, without its secret.", {
    "id": idf("Token id."),
    "name": s("The owner's label."),
    "scope": s("`read`: GET requests only; `write`: everything except account security.", enum=["read", "write"]),
    "created_at": stampf("When it was created."),
    "expires_at": stampf("When it stops working."),
    "last_used_at": timef("When it was last used (updated at most every 5 minutes), or null."),
    "expired": b("It has expired: requests with it get 401 `token_expired`."),
})
schemas["TokenList"] = obj("The caller's personal access tokens, newest first, expired ones included.", {"tokens": arr("TokenInfo", "The tokens.")})
schemas["NewTokenResponse"] = obj("A new personal access token. The secret is shown only this once; only its hash is stored.", {
    "token": s("The token, to send as `Authorization: Bearer <token>`."),
    "info": ref("TokenInfo"),
})
schemas["UserList"] = obj("A page of the organisation directory.", {
    "users": arr("User", "Users ordered by id."),
    "next_cursor": s("Pass as `cursor` for the next page; empty when there is no more."),
})
schemas["AuditEntry"] = obj("One line of the append-only audit trail.", {
    "id": idf("Entry id; ids grow with time."),
    "at": stampf("When it happened."),
    "actor_id": i("Who acted; 0 for an anonymous caller (a failed login) or the system.", format="int64", minimum=0),
    "action": s("What happened, as `noun.verb`: `auth.login`, `auth.login_failed`, `auth.logout`, `session.revoke`, `token.create`, `token.revoke`, `user.create`, `user.deactivate`, `user.reactivate`, `user.role_change`, `user.password_change`, `org.update`, `org.security_policy`, `2fa.enable`, `2fa.disable`, `2fa.reset`, `2fa.recovery_codes`; other services add theirs (see docs/security.md)."),
    "target_type": s("What the action was applied to: `user`, `session`, `token`, `org`, ...; empty when nothing."),
    "target_id": i("Id of the target; 0 when none.", format="int64", minimum=0),
    "address": s("The client's IP address as the server saw it (the connection's remote address; X-Forwarded-For is not trusted)."),
    "user_agent": s("The client's User-Agent, at most 256 bytes."),
    "outcome": s("Whether the action took effect.", enum=["success", "failure"]),
    "details": {"type": "object", "description": "Small facts about the action, such as `reason` of a failed login or `old → new` values of changed settings.", "additionalProperties": {"type": "string"}},
})
schemas["AuditPage"] = obj("A page of the audit trail, newest first.", {
    "entries": arr("AuditEntry", "Entries, newest first."),
    "next_cursor": s("Pass as `cursor` for the next (older) page; empty when there is no more."),
})
schemas["PresenceList"] = obj("Presence of the requested users.", {
    "presence": {"type": "object", "description": "Maps user ids (as strings) to presence.",
                 "additionalProperties": {"type": "string", "enum": ["online", "away", "dnd", "offline"]}},
})
schemas["ChannelList"] = obj("A list of channels.", {
    "channels": arr("Channel", "The channels."),
    "next_cursor": s("Browse: pass as `cursor` for the next page; empty when there is no more. Always empty for the caller's own channel list."),
})
schemas["MemberList"] = obj("A channel's members.", {"members": arr("Member", "Every member.")})
schemas["InviteResult"] = obj("The result of an invitation.", {"added": i("How many users were added (users already members are not counted).", minimum=0)})
schemas["MessageList"] = obj("A list of messages.", {"messages": arr("Message", "The messages.")})
schemas["HistoryPage"] = obj("A window of a channel's history, ascending by seq. Thread replies appear only when `also_in_channel`.", {
    "messages": arr("Message", "Messages ascending by seq."),
    "has_more_before": b("Older messages exist."),
    "has_more_after": b("Newer messages exist."),
})
schemas["EditList"] = obj("A message's previous texts.", {"edits": arr("EditEntry", "Previous texts, oldest first; empty for deleted or recalled messages.")})
schemas["EditEntry"] = obj("One previous text of a message.", {
    "text": s("The text before the edit."),
    "edited_at": timef("When it was replaced."),
})
schemas["ReplyPage"] = obj("A page of a thread's replies, ascending by seq.", {
    "messages": arr("Message", "Replies ascending by seq."),
    "has_more_after": b("More replies follow."),
})
schemas["ReceiptList"] = obj("Who has read a message. The author is in neither list.", {
    "read": ids("Members who have read the message."),
    "unread": ids("Members who have not."),
})
schemas["SearchPage"] = obj("A page of message search results.", {
    "results": arr("SearchResult", "Matches, by relevance or newest first (`sort`)."),
    "next_cursor": s("Pass as `cursor` for the next page; empty when there is no more."),
})
schemas["SearchResult"] = obj("One matching message. Open it in context with `channel_id` and `message.seq` (history `around`).", {
    "message": ref("Message"),
    "channel_id": idf("The message's channel."),
    "snippet": arr("SnippetSegment", "The text around the first match, in order; render each segment as a text node and style `highlight` ones. A cut end is a plain segment \"…\"."),
})
schemas["SnippetSegment"] = obj("A piece of a search snippet. Plain text, never HTML.", {
    "text": s("The text of the piece (markdown source, not rendered)."),
    "highlight": b("The piece matches the query."),
})
# ---- request bodies (unknown fields are refused with 400 unknown_field)
schemas["SetupRequest"] = obj("First-run setup: the organisation and its owner.", {
    "setup_token": s("The one-time token from the link printed in the server log."),
    "org_name": s("Organisation name, 1–80 characters.", minLength=1, maxLength=80),
    "email": s("The owner's e-mail address.", maxLength=254),
    "username": s("The owner's username: 2–40 of a–z, 0–9, '.', '_', '-', starting with a letter or digit.", minLength=2, maxLength=40),
    "display_name": s("Display name, 1–80 characters; defaults to the username.", maxLength=80),
    "password": s("Password, 8–256 characters.", minLength=8, maxLength=256),
    "locale": s("`zh-CN` or `en` (aliases `zh`, `zh-Hans`, `en-US`, `en-GB` accepted); defaults to the request's Accept-Language."),
    "cookie": {"type": "boolean", "default": True, "description": "Start a cookie session (default) instead of returning a bearer token."},
}, required=["setup_token", "org_name", "email", "username", "password"], request=True)
schemas["LoginRequest"] = obj("A password login.", {
    "login": s("E-mail address or username.", minLength=1, maxLength=254),
    "password": s("Password.", minLength=1, maxLength=1024),
    "cookie": {"type": "boolean", "default": False, "description": "Start a cookie session (sets `parley_session` and `parley_csrf`) instead of returning a bearer token."},
}, required=["login", "password"], request=True)
schemas["SecondFactorRequest"] = obj("The second step of a login: exactly one of `code` and `recovery_code`.", {
    "challenge": s("The `challenge` of the 202 answer of POST /api/v1/auth/login (or of the LDAP login, or a JSON SSO callback). May be left out after a browser SSO sign-in sent to `/?sso_2fa=1`: the challenge is then in the HttpOnly cookie `parley_2fa`.", maxLength=128),
    "code": s("The 6-digit code from the authenticator app (spaces allowed).", maxLength=16),
    "recovery_code": s("One of the recovery codes (case, spaces and dashes ignored); each works once.", maxLength=64),
}, request=True)
schemas["SecurityPolicyPatch"] = obj("Policy fields to change; absent fields stay.", {
    "password_min_length": i("8–64.", minimum=8, maximum=64),
    "password_min_classes": i("1–4.", minimum=1, maximum=4),
    "require_2fa": b("Require two-factor authentication of every user."),
    "sso_require_2fa": b("SSO and LDAP sign-ins also pass Parley's second step (see SecurityPolicy)."),
}, request=True)
schemas["PasswordChange"] = obj("A password change.", {
    "current_password": s("The current password.", maxLength=1024),
    "new_password": s("The new password; it must meet the organisation's policy.", maxLength=1024),
}, required=["current_password", "new_password"], request=True)
schemas["CodeRequest"] = obj("A code from the authenticator app.", {"code": s("6 digits.", maxLength=16)}, required=["code"], request=True)
schemas["PasswordConfirm"] = obj("The caller's password, to confirm a sensitive change.", {"password": s("The current password.", maxLength=1024)}, required=["password"], request=True)
schemas["NewTokenRequest"] = obj("A personal access token to create.", {
    "name": s("A label, 1–80 characters.", minLength=1, maxLength=80),
    "scope": {"type": "string", "enum": ["read", "write"], "default": "write", "description": "`read`: GET requests only."},
    "expires_in_days": i("Lifetime in days, 1–366.", minimum=1, maximum=366),
}, required=["name", "expires_in_days"], request=True)
schemas["RoleRequest"] = obj("A new organisation role.", {"role": s("The role.", enum=["owner", "admin", "member", "guest"])}, required=["role"], request=True)
schemas["Empty"] = obj("An empty object.", {}, request=True)
schemas["OrgPatch"] = obj("Organisation settings to change; absent fields stay.", {
    "name": s("Organisation name, 1–80 characters.", minLength=1, maxLength=80),
    "recall_window_seconds": i("Recall window in seconds, 0–31536000 (365 days).", format="int64", minimum=0, maximum=31536000),
    "receipt_max_members": i("Largest channel that shows read receipts, 2–10000.", minimum=2, maximum=10000),
    "link_previews": b("Fetch previews of links in new and edited messages."),
    "file_max_bytes": i("Largest file a member may upload, in bytes: 1 to 5 GiB.", format="int64", minimum=1, maximum=5 << 30),
    "file_quota_bytes": i("Total size of the files one member may have uploaded, in bytes.", format="int64", minimum=0),
}, request=True)
schemas["ProfilePatch"] = obj("Profile fields to change; absent fields stay.", {
    "display_name": s("1–80 characters.", minLength=1, maxLength=80),
    "avatar_url": s("Empty, or an http(s) or site-relative (`/…`) URL of at most 2048 characters.", maxLength=2048),
    "locale": s("`zh-CN`, `en` or empty (aliases accepted, see SetupRequest)."),
    "time_zone": s("IANA time zone name or empty.", maxLength=64),
    "status_text": s("At most 140 characters.", maxLength=140),
}, request=True)
schemas["NewUser"] = obj("A user an administrator creates.", {
    "email": s("E-mail address.", maxLength=254),
    "username": s("2–40 of a–z, 0–9, '.', '_', '-', starting with a letter or digit.", minLength=2, maxLength=40),
    "display_name": s("1–80 characters; defaults to the username.", maxLength=80),
    "password": s("Initial password, 8–256 characters.", minLength=8, maxLength=256),
    "role": {"type": "string", "enum": USER_ROLE, "default": "member", "description": "Organisation role; only the owner may create another owner."},
    "locale": s("`zh-CN`, `en` or empty."),
}, required=["email", "username", "password"], request=True)
schemas["NewChannel"] = obj("A channel to create; the caller becomes its owner.", {
    "name": s("1–80 characters without '#', '@' or line breaks (a leading '#' is dropped); unique in the organisation, case-insensitively.", minLength=1, maxLength=80),
    "kind": {"type": "string", "enum": ["public", "private"], "default": "public", "description": "Channel kind."},
    "topic": s("At most 250 characters.", maxLength=250),
    "purpose": s("At most 250 characters.", maxLength=250),
    "announcement": {"type": "boolean", "default": False, "description": "Only channel owners and admins may post; other members join as `readonly`."},
    "user_ids": ids("Initial members besides the creator (at most 1000).", maxItems=1000),
}, required=["name"], request=True)
schemas["UserIDs"] = obj("A list of users.", {"user_ids": ids("User ids.", maxItems=1000)}, required=["user_ids"], request=True)
schemas["ChannelPatch"] = obj("Channel settings to change; absent fields stay.", {
    "name": s("New name (channel admins; not for DMs).", minLength=1, maxLength=80),
    "topic": s("New topic (members who may post, or channel admins).", maxLength=250),
    "purpose": s("New purpose (channel admins).", maxLength=250),
    "announcement": b("Announcement flag (channel admins; not for DMs)."),
}, request=True)
schemas["MemberPatch"] = obj("A member's new channel role.", {"role": s("New role; only a channel owner or an organisation admin makes owners.", enum=CHAN_ROLE)}, required=["role"], request=True)
schemas["Preferences"] = obj("The caller's own settings for a channel; absent fields stay.", {
    "muted": b("Mute the channel."),
    "starred": b("Star the channel."),
    "star_order": i("Position among starred channels, 0–1000000.", minimum=0, maximum=1000000),
}, request=True)
schemas["SeqRequest"] = obj("A position in a channel's history.", {"seq": i("A message sequence.", format="int64", minimum=0)}, required=["seq"], request=True)
schemas["NewMessage"] = obj("A message to post.", {
    "client_id": s("The client's id for this send, 1–64 of [A-Za-z0-9._:-]; unique per author. A retry with the same id returns the original message.", minLength=1, maxLength=64, pattern="^[A-Za-z0-9._:-]{1,64}$"),
    "text": s("Markdown source, 1–16000 characters; newlines and tabs allowed, other control characters refused.", minLength=1, maxLength=16000),
    "root_id": {"type": "integer", "format": "int64", "minimum": 0, "default": 0, "description": "Reply in the thread of this top-level message; 0 for a top-level message."},
    "also_in_channel": {"type": "boolean", "default": False, "description": "A reply also shown in the channel."},
    "file_ids": ids("Files to attach (at most 10): files the caller uploaded to this channel with POST /api/v1/channels/{id}/files and not yet attached. With files, `text` may be empty.", maxItems=10),
}, required=["client_id", "text"], request=True)
PREVIEW = ["", "image", "video", "audio", "pdf"]
FILE_COMMON = collections.OrderedDict([
    ("id", idf("File id.")),
    ("name", s("File name as uploaded (1–200 characters, no path).")),
    ("content_type", s("Media type detected from the file's bytes (not its name).")),
    ("size", i("Size in bytes.", format="int64", minimum=0)),
    ("width", i("Width in pixels (images); 0 otherwise.", minimum=0)),
    ("height", i("Height in pixels (images); 0 otherwise.", minimum=0)),
    ("preview", s("How clients may show the file inline: `image` (PNG, JPEG, GIF, WebP), `video` (MP4, WebM), `audio` (MP3, WAV, Ogg), `pdf`, or empty (download only; SVG and HTML always).", enum=PREVIEW)),
    ("has_thumbnail", b("A thumbnail exists (images).")),
    ("url", s("Path of the content: GET it with the caller's credentials.")),
    ("thumbnail_url", s("Path of the thumbnail, or empty.")),
])
schemas["Attachment"] = obj("A file as a message carries it.", FILE_COMMON)
fp = collections.OrderedDict(FILE_COMMON)
fp["channel_id"] = idf("Channel the file was uploaded to.")
fp["message_id"] = idf("Message carrying the file; 0 until attached (then only the uploader sees it).")
fp["uploader_id"] = idf("Who uploaded it.")
fp["created_at"] = stampf("When it was uploaded.")
schemas["File"] = obj("An uploaded file.", fp)
schemas["FilePage"] = obj("A page of files, newest first.", {
    "files": arr("File", "The files."),
    "next_cursor": s("Cursor of the next page; empty on the last."),
})
schemas["EditRequest"] = obj("A message's new text.", {"text": s("Markdown source, 1–16000 characters.", minLength=1, maxLength=16000)}, required=["text"], request=True)

# ---- directory (department.go)
DEPT_PROPS = collections.OrderedDict([
    ("id", idf("Department id.")),
    ("parent_id", idf("Id of the parent department; 0 for a top-level department.")),
    ("name", s("Department name, 1–80 characters without '/'; unique among its siblings.")),
    ("sort_order", i("Position among its siblings, ascending (0–1073741824).", minimum=0, maximum=1 << 30)),
    ("created_at", stampf("When the department was created.")),
])
schemas["Department"] = obj("A node of the organisation's department tree.", dict(DEPT_PROPS))
schemas["DepartmentMember"] = obj("A user's membership of a department.", {
    "department_id": idf("Department id."),
    "user_id": idf("User id."),
    "head": b("The user is a head (负责人) of the department."),
    "sort_order": i("Position in the department's member list, ascending.", minimum=0, maximum=1 << 30),
})
schemas["DepartmentList"] = obj("The whole department tree, parents before their children, siblings by sort order then name.", {"departments": arr("Department", "Departments.")})
dd = collections.OrderedDict(DEPT_PROPS)
dd["members"] = arr("DepartmentMember", "Direct members, heads first.")
dd["admin_ids"] = ids("Users who administer this department's subtree (role `dept_admin`).")
schemas["DepartmentDetail"] = obj("A department with its direct members and admins.", dd)
schemas["DepartmentMemberList"] = obj("Members of a department or of its subtree (each user once).", {"members": arr("DepartmentMember", "Members.")})
schemas["NewDepartment"] = obj("A department to create.", {
    "name": s("Name, 1–80 characters without '/'.", minLength=1, maxLength=80),
    "parent_id": {"type": "integer", "format": "int64", "minimum": 0, "default": 0, "description": "Parent department; 0 (the default) for the top level, which only organisation admins may use."},
    "sort_order": {"type": "integer", "minimum": 0, "maximum": 1 << 30, "default": 0, "description": "Position among its siblings."},
}, required=["name"], request=True)
schemas["DepartmentPatch"] = obj("A department's new name or order; absent fields stay.", {
    "name": s("Name, 1–80 characters without '/'.", minLength=1, maxLength=80),
    "sort_order": i("Position among its siblings.", minimum=0, maximum=1 << 30),
}, request=True)
schemas["DepartmentMove"] = obj("Where to move a department with its subtree.", {
    "parent_id": {"type": "integer", "format": "int64", "minimum": 0, "description": "The new parent; 0 for the top level (organisation admins only)."},
    "sort_order": {"type": "integer", "minimum": 0, "maximum": 1 << 30, "default": 0, "description": "Position among its new siblings."},
}, required=["parent_id"], request=True)
schemas["DepartmentMemberPut"] = obj("A user's membership of a department.", {
    "head": {"type": "boolean", "default": False, "description": "Make the user a head of the department."},
    "sort_order": {"type": "integer", "minimum": 0, "maximum": 1 << 30, "default": 0, "description": "Position in the member list."},
}, request=True)


# ---- single sign-on (sso.go)
MAP_ROLE = ["admin", "member", "guest"]
schemas["SSOOIDC"] = obj("Settings of an OpenID Connect provider.", {
    "issuer": s("Issuer URL; discovery reads `{issuer}/.well-known/openid-configuration`.", maxLength=1024),
    "client_id": s("Client id registered at the provider.", maxLength=512),
    "scopes": {"type": "array", "items": {"type": "string"}, "description": "Scopes besides `openid`; default `profile`, `email`."},
    "groups_claim": s("Claim listing the user's groups (default `groups`)."),
}, required=["issuer", "client_id", "scopes", "groups_claim"])
schemas["SSOLDAP"] = obj("Settings of an LDAP or Active Directory server.", {
    "url": s("`ldap://host:389` or `ldaps://host:636`."),
    "start_tls": b("Upgrade an ldap:// connection with StartTLS."),
    "bind_dn": s("Service account used to search and sync; its password is the provider's secret. Empty binds anonymously."),
    "base_dn": s("Where users are searched."),
    "user_filter": s("LDAP filter selecting user entries (default `(objectClass=person)`)."),
    "login_attr": s("Attribute matched against the login name (default `uid`; AD: `sAMAccountName`)."),
    "email_attr": s("E-mail attribute (default `mail`)."),
    "name_attr": s("Display name attribute (default `cn`)."),
    "group_attr": s("Attribute listing the user's groups (e.g. `memberOf`), or empty."),
    "sync_interval_seconds": i("How often the directory is synced, 60–604800 seconds; 0 turns the scheduled sync off.", format="int64", minimum=0, maximum=604800),
    "departments": b("The sync maintains departments from the organisational units below `base_dn` (created when missing; membership of the provider's users follows the directory)."),
})
schemas["SSOSAML"] = obj("Settings of a SAML 2.0 identity provider.", {
    "idp_metadata": s("The identity provider's metadata XML (entity id, single sign-on URL, signing certificate), at most 512 KiB."),
    "email_attr": s("Attribute (Name or FriendlyName) holding the e-mail; empty tries `email`, `mail` and the usual URNs, then a NameID that is an address."),
    "name_attr": s("Attribute holding the display name; empty tries `displayName`, `cn`."),
    "groups_attr": s("Attribute listing the groups; empty tries `groups`, `memberOf`."),
    "metadata_url": s("This service provider's metadata URL, to give to the identity provider (in answers only)."),
}, required=["idp_metadata", "email_attr", "name_attr", "groups_attr"])
schemas["SSOMapRule"] = obj("Maps one IdP group (name or DN) or LDAP organisational unit to a role.", {
    "group": s("Group name, group DN or OU name, compared case-insensitively."),
    "role": s("Role given to members of the group.", enum=MAP_ROLE),
})
schemas["SSODepartmentRule"] = obj("Puts the members of one IdP group (name or DN) or LDAP organisational unit into one department.", {
    "group": s("Group name, group DN or OU name, compared case-insensitively."),
    "department_id": idf("Id of a department of the organisation; a later-deleted department makes the rule inert, and saving the provider with it fails with `sso_department_unknown`."),
})
schemas["SSOMapping"] = obj("How IdP groups become roles and department memberships. A user matching several rules gets the most powerful role; one matching none gets `default_role`. Roles are only updated at login when rules exist; owners keep their role. At every sign-in and LDAP sync, a user is added to the departments whose rules match their groups and removed from the other departments these rules name; other departments are left alone; guests and bots are skipped.", {
    "default_role": s("Role of provisioned users no rule matches.", enum=MAP_ROLE),
    "rules": arr("SSOMapRule", "Rules, at most 200."),
    "departments": arr("SSODepartmentRule", "Department rules, at most 200; each department must exist."),
})
schemas["SSOProvider"] = obj("An identity provider of the caller's organisation. The secret is never returned.", {
    "id": idf("Provider id."),
    "kind": s("Protocol.", enum=["oidc", "ldap", "saml"]),
    "name": s("Name shown on the login page, 1–200 characters."),
    "enabled": b("Disabled providers cannot be used to sign in and are not synced."),
    "has_secret": b("Whether a client secret (OIDC) or bind password (LDAP) is set."),
    "oidc": dict(ref("SSOOIDC"), description="OIDC settings (kind `oidc`)."),
    "ldap": dict(ref("SSOLDAP"), description="LDAP settings (kind `ldap`)."),
    "saml": dict(ref("SSOSAML"), description="SAML settings (kind `saml`)."),
    "mapping": ref("SSOMapping"),
    "redirect_uri": s("The redirect URI to register at the OIDC provider, or the SAML assertion consumer service URL."),
    "synced_at": timef("When the last LDAP sync finished, or null."),
    "created_at": stampf("When the provider was created."),
    "updated_at": stampf("When the provider was last changed."),
}, required=["id", "kind", "name", "enabled", "has_secret", "mapping", "synced_at", "created_at", "updated_at"])
schemas["SSOProviderList"] = obj("The organisation's identity providers.", {"providers": arr("SSOProvider", "Providers, by id.")})
schemas["SSOOption"] = obj("A provider people can sign in with.", {
    "id": idf("Provider id."),
    "org_id": idf("Organisation of the provider."),
    "kind": s("Protocol: `oidc` and `saml` start at `start_url`; `ldap` posts to /api/v1/auth/ldap/login.", enum=["oidc", "ldap", "saml"]),
    "name": s("Name to show on the button."),
    "start_url": s("Where the browser goes to start an OIDC sign-in."),
}, required=["id", "org_id", "kind", "name"])
schemas["SSOOptionList"] = obj("Enabled identity providers.", {"providers": arr("SSOOption", "Providers, by id.")})
schemas["SSOTestResult"] = obj("What a connection test found.", {
    "ok": b("The provider was reached with the saved settings."),
    "detail": s("What was reached (authorization endpoint, number of user entries) or why not."),
})
schemas["SSOSyncResult"] = obj("What a directory sync changed.", {
    "seen": i("User entries read.", minimum=0),
    "created": i("Users provisioned.", minimum=0),
    "updated": i("Known users whose name or role changed, or existing accounts linked by e-mail.", minimum=0),
    "deactivated": i("Provisioned users gone from the directory, now deactivated (sessions revoked).", minimum=0),
    "skipped": i("Entries without a usable e-mail, or refused (deactivated user, e-mail of another account).", minimum=0),
    "departments": i("Departments created from organisational units.", minimum=0),
})
schemas["SSOProviderRequest"] = obj("A provider to create, or the fields to change (absent fields stay; `oidc`, `ldap` and `mapping` replace the whole object).", {
    "kind": s("Protocol; required to create, and cannot change.", enum=["oidc", "ldap", "saml"]),
    "name": s("1–200 characters; required to create.", minLength=1, maxLength=200),
    "enabled": b("Default true."),
    "secret": s("OIDC client secret or LDAP bind password; write-only. Empty clears it.", maxLength=4096),
    "oidc": ref("SSOOIDC"),
    "ldap": ref("SSOLDAP"),
    "saml": ref("SSOSAML"),
    "mapping": ref("SSOMapping"),
}, request=True)
schemas["SCIMToken"] = obj("A SCIM bearer token of the organisation, for its identity provider's provisioning (`/scim/v2`, see docs/sso.md).", {
    "id": idf("Token id."),
    "name": s("What it is for, e.g. the identity provider's name."),
    "token": s("The token itself: only in the answer that created it, never again."),
    "created_at": stampf("When the token was created."),
    "last_used_at": timef("Not recorded yet: always null."),
}, required=["id", "name", "created_at", "last_used_at"])
schemas["SCIMTokenList"] = obj("The organisation's SCIM tokens (without their values).", {"tokens": arr("SCIMToken", "Tokens, by id.")})
schemas["SCIMTokenRequest"] = obj("A SCIM token to create.", {"name": s("1–200 characters.", minLength=1, maxLength=200)}, required=["name"], request=True)
INVITE_PROPS = {
    "id": idf("Invitation id."),
    "role": s("The role of the accounts it creates.", enum=["member", "guest"]),
    "email": s("The only address that may accept it, or empty."),
    "max_uses": i("How many accounts it may create (1 when bound to an e-mail)."),
    "uses": i("How many accounts it created."),
    "state": s("Whether it can still be accepted.", enum=["open", "expired", "revoked", "used_up"]),
    "created_by": idf("The admin who created it."),
    "created_at": stampf("When it was created."),
    "expires_at": stampf("When it stops working."),
    "revoked_at": timef("When an admin revoked it; null if not revoked."),
}
schemas["Invitation"] = obj("An invitation link (without its token).", dict(INVITE_PROPS))
created = dict(INVITE_PROPS)
created.update({
    "url": s("The link to share: `PUBLIC_URL/invite/<token>`. Shown only in this answer; only a hash of the token is stored."),
    "email_sent": b("True when the link was e-mailed to `email`. False when no e-mail was given, no SMTP server is configured, or sending failed: share the link by hand."),
    "email_error": s("`email_failed` when sending the e-mail failed; absent otherwise."),
})
schemas["InvitationCreated"] = obj("A new invitation with its link.", created, required=[k for k in created if k != "email_error"])
schemas["InvitationList"] = obj("The organisation's invitations.", {"invitations": arr("Invitation", "Newest first, expired, used and revoked ones included.")})
schemas["InvitationPreview"] = obj("What the holder of a link sees before accepting it.", {
    "org_name": s("The organisation's name."),
    "role": s("The role the account will have.", enum=["member", "guest"]),
    "email": s("The address the invitation is bound to, or empty."),
    "expires_at": stampf("When the link stops working."),
})
schemas["NewInvitation"] = obj("An invitation to create.", {
    "role": s("member (default) or guest.", enum=["member", "guest"]),
    "email": s("Optional: bind the invitation to this address (single use) and e-mail the link there when SMTP is configured."),
    "expires_in_days": i("1–30; default 7.", minimum=0, maximum=30),
    "max_uses": i("How many accounts the link may create: 1 (default) to 1000; 1 with an e-mail.", minimum=0, maximum=1000),
}, request=True)
schemas["AcceptInvitation"] = obj("The account to create with an invitation.", {
    "email": s("The new user's e-mail; may be omitted when the invitation is bound to one."),
    "username": s("Unique username."),
    "display_name": s("Display name; defaults to the username."),
    "password": s("Password, under the organisation's password policy."),
    "locale": s("en or zh-CN; default from Accept-Language."),
    "cookie": {"type": "boolean", "default": False, "description": "Start a cookie session instead of returning a bearer token."},
}, required=["username", "password"], request=True)
schemas["LDAPLoginRequest"] = obj("A login with directory credentials.", {
    "provider_id": idf("The LDAP provider (from GET /api/v1/auth/sso/providers)."),
    "login": s("Directory login name (matched against `login_attr`; filter characters are escaped).", minLength=1, maxLength=256),
    "password": s("Directory password.", minLength=1, maxLength=1024),
    "cookie": {"type": "boolean", "default": False, "description": "Start a cookie session instead of returning a bearer token."},
}, required=["provider_id", "login", "password"], request=True)

# ---- directory search, profiles, groups, permissions (directory.go)
schemas["DirectoryResult"] = obj("People and channels matching a query.", {"users": arr("User", "Active users, best matches first."), "channels": arr("Channel", "Channels the caller may read (without `membership`).")})
schemas["FieldValue"] = obj("A user's value of a custom profile field.", {"field_id": idf("Field id."), "name": s("Field name."), "value": s("Value.")})
schemas["Profile"] = obj("A user's directory card.", {
    "user": ref("User"),
    "departments": arr("Department", "Departments the user belongs to (empty for guests' callers)."),
    "department_ids": ids("Ids of those departments."),
    "head_of": ids("Ids of the departments the user heads."),
    "manager": dict(ref("User"), description="The user's manager; absent when none."),
    "fields": arr("FieldValue", "Custom profile fields with a value."),
}, required=["user", "departments", "department_ids", "head_of", "fields"])
schemas["DirectoryPatch"] = obj("Changes to a user's directory profile; absent fields stay.", {
    "title": s("Job title, at most 80 characters.", maxLength=80),
    "employee_no": s("Employee number, at most 40 characters; unique in the organisation.", maxLength=40),
    "phone": s("Phone number: digits, spaces, '+', '-', '(' and ')', at most 32 characters.", maxLength=32),
    "manager_id": {"type": "integer", "format": "int64", "minimum": 0, "description": "The manager's user id; 0 for none."},
    "fields": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 200}, "description": "Custom field values by field id; an empty string clears a value."},
}, request=True)
schemas["ProfileField"] = obj("A custom profile field of the organisation.", {
    "id": idf("Field id."), "name": s("Name, 1–80 characters, unique in the organisation."),
    "sort_order": i("Position on the card, ascending.", minimum=0, maximum=1 << 30),
    "admin_only": b("Only admins and department admins may set it; users cannot edit their own."),
})
schemas["ProfileFieldList"] = obj("The organisation's custom profile fields.", {"fields": arr("ProfileField", "Fields in order.")})
schemas["FieldPatch"] = obj("A custom field to create (name required) or change.", {
    "name": s("Name, 1–80 characters.", minLength=1, maxLength=80),
    "sort_order": i("Position on the card.", minimum=0, maximum=1 << 30),
    "admin_only": b("Only admins may set the value."),
}, request=True)
WHO = ["everyone", "members", "channel_admins", "admins"]
PERM_DESC = collections.OrderedDict([
    ("create_public_channel", "Who may create public channels."), ("create_private_channel", "Who may create private channels."),
    ("mention_all", "Who may use @all, @channel and @here in channels (`channel_admins`: the channel's owners and admins)."),
    ("invite_guests", "Who may add guests to channels."), ("edit_messages", "Who may edit their own messages."),
    ("edit_window_seconds", "How long after sending a message may be edited; 0 for no limit."),
    ("delete_messages", "Who may delete their own messages (channel admins delete any message regardless)."),
    ("delete_window_seconds", "How long after sending authors may delete a message; 0 for no limit."),
    ("recall_messages", "Who may recall their own messages (within the organisation's recall window)."),
    ("create_bots", "Who may create bot users."), ("see_email", "Who sees other users' e-mail addresses."), ("see_phone", "Who sees other users' phone numbers."),
])
def permprops(request):
    out = collections.OrderedDict()
    for k, d in PERM_DESC.items():
        if k.endswith("_seconds"):
            out[k] = i(d, format="int64", minimum=0, maximum=31536000)
        else:
            out[k] = s(d + " Owners and admins always may.", enum=WHO)
    return out
schemas["Permissions"] = obj("The organisation's permission scheme; also the payload of `permissions.updated`.", permprops(False))
schemas["PermissionsPatch"] = obj("Changes to the permission scheme; absent settings stay.", permprops(True), request=True)
schemas["Group"] = obj("A user group, @mentionable by its handle.", {
    "id": idf("Group id."), "handle": s("Lower-case handle, as in @handle: 2–40 of a–z, 0–9, '.', '_', '-'; never a username, all, channel or here."),
    "name": s("Display name, 1–80 characters."), "description": s("Description, at most 140 characters."),
    "created_by": idf("Creator."), "created_at": stampf("When the group was created."),
    "member_ids": ids("Members (filled by GET /groups/{id}; empty in lists)."),
})
schemas["GroupList"] = obj("The organisation's user groups.", {"groups": arr("Group", "Groups by handle, without members.")})
schemas["GroupPatch"] = obj("A group to create (handle and name required) or change.", {
    "handle": s("Handle.", minLength=2, maxLength=40), "name": s("Name.", minLength=1, maxLength=80), "description": s("Description.", maxLength=140),
}, request=True)
schemas["DepartmentBinding"] = obj("The department a channel follows.", {"department_id": {"type": "integer", "format": "int64", "minimum": 0, "description": "Department id; 0 unbinds."}}, required=["department_id"], request=True)

params = collections.OrderedDict()
def pid(name, what, desc):
    return {"name": name, "in": "path", "required": True, "description": desc,
            "schema": {"type": "integer", "format": "int64", "minimum": 1}}
params["ChannelID"] = pid("id", "channel", "Channel id.")
params["UserID"] = pid("id", "user", "User id.")
params["MessageID"] = pid("id", "message", "Message id.")
params["DepartmentID"] = pid("id", "department", "Department id.")
params["FileID"] = pid("id", "file", "File id.")
params["FieldID"] = pid("id", "field", "Profile field id.")
params["GroupID"] = pid("id", "group", "User group id.")
params["MemberUserID"] = pid("user_id", "user", "User id of the member.")
params["DeptUserID"] = pid("user_id", "user", "User id.")
params["Emoji"] = {"name": "emoji", "in": "path", "required": True, "description": "One emoji, URL-encoded.", "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
params["Limit"] = {"name": "limit", "in": "query", "description": "Page size.", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}
params["Cursor"] = {"name": "cursor", "in": "query", "description": "The `next_cursor` of the previous page.", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
params["UserIDList"] = {"name": "ids", "in": "query", "description": "Comma-separated user ids (at most 200): return exactly these users of the caller's organisation (unknown ids are skipped); `q` and `cursor` are then ignored.", "schema": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$"}}
params["Query"] = {"name": "q", "in": "query", "description": "Search text, at most 80 characters.", "schema": {"type": "string", "maxLength": 80}}
def seqq(name, desc):
    return {"name": name, "in": "query", "description": desc, "schema": {"type": "integer", "format": "int64", "minimum": 0}}
params["Before"] = seqq("before", "Messages before this seq (at most one of before, after, around; 0 means unset).")
params["After"] = seqq("after", "Messages after this seq; `after=0` reads from the very beginning.")
params["Around"] = seqq("around", "Messages around this seq (0 means unset).")

def pref(n): return {"$ref": "#/components/parameters/" + n}

DECODE = ["invalid_json", "unsupported_media", "unknown_field", "wrong_type", "invalid_utf8"]
def text(field, mn, suffixes=("invalid_utf8", "invalid_characters", "too_long")):
    out = [field + "_" + x for x in suffixes]
    if mn > 0: out.insert(0, field + "_required")
    if mn > 1: out.append(field + "_too_short")
    return out
EMAIL = text("email", 3) + ["email_invalid"]
USERNAME = ["username_invalid", "username_too_long"]
PASSWORD = ["password_too_short", "password_too_long", "password_invalid_utf8", "password_too_simple", "password_too_common", "password_contains_name"]
QUERY = text("query", 0)
CHAN_NAME = text("channel_name", 1) + ["channel_name_invalid"]

STATUS_TEXT = {
    "400": "Invalid request.", "401": "Not authenticated.", "403": "Not allowed.", "404": "Not found, or not visible to the caller.",
    "409": "Conflicts with the current state.", "413": "Too large.", "429": "Too many requests; see Retry-After.",
    "503": "Temporarily unavailable; retry (see Retry-After).",
}

ops = []
def op(method, path, opid, tag, summary, desc, auth=True, params=(), body=None, ok=None, errors=None, pathparams=(), rawbody=None):
    ops.append(dict(method=method, path=path, opid=opid, tag=tag, summary=summary, desc=desc, auth=auth,
                    params=list(params), body=body, ok=ok, errors=errors or {}, pathparams=list(pathparams), rawbody=rawbody))

def ok(status, desc, schema=None, headers=None):
    r = {status: {"description": desc}}
    if schema:
        r[status]["content"] = {"application/json": {"schema": ref(schema) if isinstance(schema, str) else schema}}
    if headers:
        r[status]["headers"] = headers
    return r
SETCOOKIE = {"Set-Cookie": {"description": "With a cookie session: `parley_session` (HttpOnly, SameSite=Lax) and `parley_csrf` (readable, to echo in X-CSRF-Token).", "schema": {"type": "string"}}}

# --- meta
op("GET", "/healthz", "healthz", "meta", "Liveness probe", "Answers 200 while the process serves HTTP. No authentication.", auth=False,
   ok=ok("200", "Alive.", {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "const": "ok"}}}))
op("GET", "/readyz", "readyz", "meta", "Readiness probe", "Answers 200 when the database is reachable and migrated, else 503. No authentication.", auth=False,
   ok=ok("200", "Ready.", {"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "const": "ready"}}}),
   errors={"503": ["migrations_pending", "unavailable"]})
op("GET", "/api/v1/openapi.json", "getOpenAPI", "meta", "This document", "The OpenAPI 3.1 document of this API. No authentication.", auth=False,
   ok=ok("200", "The OpenAPI document.", {"type": "object"}))
# --- session
op("GET", "/api/v1/setup", "getSetupStatus", "session", "Whether first-run setup is needed", "No authentication.", auth=False,
   ok=ok("200", "Setup status.", "SetupStatus"), errors={"503": ["unavailable"]})
op("POST", "/api/v1/setup", "setup", "session", "First-run setup",
   "Creates the first organisation and its owner, then logs the owner in (a cookie session unless `cookie` is false). No authentication: the one-time `setup_token` printed in the server log authorises the call; it is accepted only while no organisation exists.",
   auth=False, body="SetupRequest",
   ok=ok("201", "Set up; the owner is logged in.", "LoginResponse", SETCOOKIE),
   errors={"400": text("org_name", 1) + EMAIL + USERNAME + text("display_name", 1) + PASSWORD + ["locale_unsupported"],
           "403": ["setup_token_invalid"], "409": ["already_set_up"]})
op("POST", "/api/v1/auth/login", "login", "session", "Log in with a password",
   "Returns a bearer token, or with `cookie: true` starts a cookie session (the token is then empty). No authentication. Failed logins are rate-limited per account and per client address; deactivated users get `invalid_credentials`.",
   auth=False, body="LoginRequest", ok=dict(ok("200", "Logged in (with `two_factor_enrolment_required` when the organisation requires 2FA and the user must set it up first).", "LoginResponse", SETCOOKIE),
                                            **ok("202", "The password was right; the user has two-factor authentication: finish with POST /api/v1/auth/login/2fa.", "TwoFactorChallenge")),
   errors={"400": ["credentials_required"], "401": ["invalid_credentials"], "429": ["too_many_attempts"]})
op("POST", "/api/v1/auth/login/2fa", "loginSecondFactor", "session", "Finish a login with a second factor",
   "The second step of a login for users with two-factor authentication: the `challenge` from the 202 answer of POST /api/v1/auth/login and a TOTP code or a recovery code. Answers like a completed login (a cookie session or a token, as the first step asked). No authentication. Wrong codes count toward the account's lockout like wrong passwords; a TOTP code is accepted once (`two_factor_code_used` for a replay in the same window).",
   auth=False, body="SecondFactorRequest", ok=ok("200", "Logged in; the `parley_2fa` challenge cookie, if used, is cleared (also when the challenge is no longer valid).", "LoginResponse", SETCOOKIE),
   errors={"400": ["two_factor_code_required", "two_factor_code_invalid", "two_factor_code_used"], "401": ["challenge_invalid"], "429": ["too_many_attempts"]})
op("POST", "/api/v1/auth/logout", "logout", "session", "Log out", "Ends the calling session (cookie or token) and clears the session cookies. Any authenticated user.",
   ok={"204": {"description": "Logged out.", "headers": {"Set-Cookie": {"description": "Clears `parley_session` and `parley_csrf`.", "schema": {"type": "string"}}}}})
# --- org
op("GET", "/api/v1/org", "getOrg", "org", "The caller's organisation", "Any authenticated user, guests included.",
   ok=ok("200", "The organisation.", "Org"), errors={"404": ["org_not_found"]})
op("PATCH", "/api/v1/org", "patchOrg", "org", "Change organisation settings", "Organisation owners and admins.", body="OrgPatch",
   ok=ok("200", "The changed organisation.", "Org"),
   errors={"400": text("org_name", 1) + ["recall_window_invalid", "receipt_max_members_invalid", "file_max_bytes_invalid", "file_quota_bytes_invalid"], "403": ["admin_required"], "404": ["org_not_found"]})
op("GET", "/api/v1/org/security-policy", "getSecurityPolicy", "org", "Password and 2FA policy",
   "Any authenticated user (the password form shows the rules), also a session that must still set up 2FA.", ok=ok("200", "The policy.", "SecurityPolicy"))
op("PATCH", "/api/v1/org/security-policy", "patchSecurityPolicy", "org", "Change the password and 2FA policy",
   "Organisation owners and admins. Applies to passwords set from now on and to logins from now on. Recorded in the audit trail.", body="SecurityPolicyPatch",
   ok=ok("200", "The changed policy.", "SecurityPolicy"), errors={"400": ["policy_min_length_invalid", "policy_min_classes_invalid"], "403": ["admin_required"]})
# --- users
op("GET", "/api/v1/users/me", "getMe", "users", "The caller's profile", "Any authenticated user.", ok=ok("200", "The caller.", "User"), errors={"404": ["user_not_found"]})
op("PATCH", "/api/v1/users/me", "patchMe", "users", "Change the caller's profile", "Any authenticated user, for their own profile. Emits `user.updated`.", body="ProfilePatch",
   ok=ok("200", "The changed profile.", "User"),
   errors={"400": text("display_name", 1) + text("avatar_url", 0) + ["avatar_url_invalid", "locale_unsupported", "time_zone_invalid"] + text("status_text", 0)})
NOTOKEN = " Not with a personal access token (403 `token_not_allowed`); open to a session that must set up 2FA."
op("POST", "/api/v1/users/me/password", "changePassword", "security", "Change the caller's password",
   "Checks the current password (wrong ones count toward the lockout) and the organisation's policy, then ends every other session and token of the user." + NOTOKEN,
   body="PasswordChange", ok={"204": {"description": "Changed."}},
   errors={"400": PASSWORD, "403": ["password_wrong", "token_not_allowed"], "429": ["too_many_attempts"]})
op("GET", "/api/v1/users/me/2fa", "getTwoFactor", "security", "The caller's two-factor status", "Any authenticated user." + NOTOKEN,
   ok=ok("200", "The status.", "TwoFactorStatus"), errors={"403": ["token_not_allowed"]})
op("POST", "/api/v1/users/me/2fa/setup", "setupTwoFactor", "security", "Start setting up two-factor authentication",
   "Creates a new TOTP secret (replacing one not yet confirmed). Show `otpauth_uri` as a QR code, then confirm with POST /api/v1/users/me/2fa/enable." + NOTOKEN,
   body="Empty", ok=ok("200", "The new secret.", "TwoFactorSetup"), errors={"403": ["token_not_allowed"], "409": ["two_factor_already_enabled"]})
op("POST", "/api/v1/users/me/2fa/enable", "enableTwoFactor", "security", "Turn two-factor authentication on",
   "Confirms the secret with a code from the app and returns 10 recovery codes, shown only this once. A session that had to set up 2FA becomes a normal session. Wrong codes count toward the lockout." + NOTOKEN,
   body="CodeRequest", ok=ok("200", "On; the recovery codes.", "RecoveryCodes"),
   errors={"400": ["two_factor_code_invalid"], "403": ["token_not_allowed"], "409": ["two_factor_not_started", "two_factor_already_enabled"], "429": ["too_many_attempts"]})
op("POST", "/api/v1/users/me/2fa/disable", "disableTwoFactor", "security", "Turn two-factor authentication off",
   "Needs the caller's password. Not when the organisation requires 2FA." + NOTOKEN, body="PasswordConfirm", ok={"204": {"description": "Off."}},
   errors={"403": ["password_wrong", "two_factor_required_by_policy", "token_not_allowed"], "429": ["too_many_attempts"]})
op("POST", "/api/v1/users/me/2fa/recovery-codes", "newRecoveryCodes", "security", "New recovery codes",
   "Replaces the caller's recovery codes with 10 new ones, shown only this once. Needs the caller's password." + NOTOKEN, body="PasswordConfirm",
   ok=ok("200", "The new codes.", "RecoveryCodes"), errors={"403": ["password_wrong", "token_not_allowed"], "409": ["two_factor_not_enabled"], "429": ["too_many_attempts"]})
op("GET", "/api/v1/users/me/sessions", "listSessions", "security", "The caller's sessions",
   "Browser sessions and bearer tokens from password logins, newest first, the calling one marked `current`." + NOTOKEN,
   ok=ok("200", "The sessions.", "SessionList"), errors={"403": ["token_not_allowed"]})
op("DELETE", "/api/v1/users/me/sessions/{id}", "revokeSession", "security", "Revoke a session",
   "Ends one of the caller's sessions and closes its WebSocket streams (close code 4004); revoking the calling session also clears its cookies." + NOTOKEN,
   pathparams=["UserID"], ok={"204": {"description": "Revoked."}}, errors={"403": ["token_not_allowed"], "404": ["session_not_found"]})
op("GET", "/api/v1/users/me/tokens", "listTokens", "security", "The caller's personal access tokens", "Newest first, expired ones included." + NOTOKEN,
   ok=ok("200", "The tokens.", "TokenList"), errors={"403": ["token_not_allowed"]})
op("POST", "/api/v1/users/me/tokens", "createToken", "security", "Create a personal access token",
   "For scripts: a bearer token with a name, an expiry (1–366 days) and a scope. The secret is in this answer only. At most 50 per user." + NOTOKEN,
   body="NewTokenRequest", ok=ok("201", "The token.", "NewTokenResponse"),
   errors={"400": text("token_name", 1) + ["token_scope_invalid", "token_expiry_invalid"], "403": ["token_not_allowed"], "409": ["too_many_tokens"]})
op("DELETE", "/api/v1/users/me/tokens/{id}", "revokeToken", "security", "Revoke a personal access token",
   "The token stops working at once and its WebSocket streams are closed." + NOTOKEN,
   pathparams=["UserID"], ok={"204": {"description": "Revoked."}}, errors={"403": ["token_not_allowed"], "404": ["token_not_found"]})
op("GET", "/api/v1/users", "listUsers", "users", "The organisation directory",
   "Pages through the users of the caller's organisation, ordered by id, filtered by `q` (a prefix of username, display name or e-mail); or, with `ids`, returns those users at once (for clients resolving authors). Any authenticated user, guests included.",
   params=[pref("Query"), pref("UserIDList"), pref("Limit"), pref("Cursor")], ok=ok("200", "A page of users.", "UserList"),
   errors={"400": ["limit_invalid", "cursor_invalid", "id_invalid"] + QUERY, "413": ["too_many_users"]})
op("POST", "/api/v1/users", "createUser", "users", "Create a user", "Organisation owners and admins; only the owner may create another owner. Emits `user.updated`.", body="NewUser",
   ok=ok("201", "The new user.", "User"),
   errors={"400": EMAIL + USERNAME + text("display_name", 1) + ["locale_unsupported", "role_invalid"] + PASSWORD, "403": ["admin_required"], "409": ["email_taken", "username_taken"]})
params["InvitationID"] = pid("id", "invitation", "Invitation id.")
params["InviteToken"] = {"name": "token", "in": "path", "required": True, "description": "The token at the end of the invitation link.", "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
INVITE_GONE = ["invite_expired", "invite_revoked", "invite_used_up"]
op("GET", "/api/v1/invitations", "listInvitations", "users", "The organisation's invitations", "Organisation owners and admins. Tokens are not returned.",
   ok=ok("200", "The invitations.", "InvitationList"), errors={"403": ["admin_required"]})
op("POST", "/api/v1/invitations", "createInvitation", "users", "Invite people by link or e-mail",
   "Organisation owners and admins. Returns the link (shown only this once). With `email`, the invitation is single-use for that address and, when an SMTP server is configured, the link is e-mailed in the inviter's language (`email_sent`). Recorded as `invite.create`.",
   body="NewInvitation", ok=ok("201", "The invitation with its link.", "InvitationCreated"),
   errors={"400": ["invite_role_invalid", "invite_expiry_invalid", "invite_max_uses_invalid", "email_invalid"], "403": ["admin_required"], "409": ["too_many_invitations"]})
op("DELETE", "/api/v1/invitations/{id}", "revokeInvitation", "users", "Revoke an invitation", "Organisation owners and admins. The link stops working; accounts already created stay. Recorded as `invite.revoke`.",
   pathparams=["InvitationID"], ok={"204": {"description": "Revoked."}}, errors={"403": ["admin_required"], "404": ["invite_not_found"]})
op("GET", "/api/v1/invites/{token}", "previewInvitation", "users", "What an invitation link offers",
   "No authentication: the organisation's name and the role, nothing secret.", auth=False, pathparams=["InviteToken"],
   ok=ok("200", "The invitation.", "InvitationPreview"), errors={"404": ["invite_not_found"], "409": INVITE_GONE})
op("POST", "/api/v1/invites/{token}/accept", "acceptInvitation", "users", "Accept an invitation",
   "No authentication. Creates the account under the organisation's password policy and logs it in, answering like a login. Recorded as `invite.accept`.",
   auth=False, pathparams=["InviteToken"], body="AcceptInvitation",
   ok=ok("201", "The account was created and logged in (with `two_factor_enrolment_required` when the organisation requires 2FA).", "LoginResponse", SETCOOKIE),
   errors={"400": EMAIL + USERNAME + text("display_name", 1) + ["locale_unsupported", "invite_email_mismatch"] + PASSWORD,
           "404": ["invite_not_found"], "409": INVITE_GONE + ["email_taken", "username_taken"]})
op("GET", "/api/v1/users/{id}", "getUser", "users", "A user", "Any authenticated user, for users of their own organisation.", pathparams=["UserID"],
   ok=ok("200", "The user.", "User"), errors={"404": ["user_not_found"]})
for verb, act in (("deactivate", "Deactivate"), ("reactivate", "Reactivate")):
    extra = " Deactivation revokes every session and token of the user and closes their streams; history and authorship stay." if verb == "deactivate" else ""
    op("POST", "/api/v1/users/{id}/" + verb, verb + "User", "users", act + " a user",
       "Organisation owners and admins; only the owner may change the owner; nobody may change themselves. Idempotent." + extra, pathparams=["UserID"],
       ok=ok("200", "The user.", "User"), errors={"400": ["cannot_deactivate_self"], "403": ["admin_required", "owner_required"], "404": ["user_not_found"]})
op("POST", "/api/v1/users/{id}/2fa/reset", "resetTwoFactor", "users", "Reset a user's two-factor authentication",
   "Removes the user's TOTP secret and recovery codes (for someone who lost their phone and codes). Organisation owners and admins; only the owner may reset the owner. Recorded in the audit trail.",
   pathparams=["UserID"], ok={"204": {"description": "Reset."}}, errors={"403": ["admin_required", "owner_required"], "404": ["user_not_found"]})
op("PUT", "/api/v1/users/{id}/role", "setUserRole", "users", "Change a user's role",
   "To `admin`, `member` or `guest` (or `owner`, by the owner). Organisation owners and admins; only the owner may change the owner's role; nobody changes their own. Department admins are appointed on departments. Demotion to guest ends the user's sessions. Emits `user.updated`; recorded in the audit trail.",
   pathparams=["UserID"], body="RoleRequest", ok=ok("200", "The user.", "User"),
   errors={"400": ["role_invalid", "role_not_assignable", "cannot_change_own_role"], "403": ["admin_required", "owner_required"], "404": ["user_not_found"]})
op("GET", "/api/v1/presence", "presence", "users", "Presence of users",
   "Any authenticated user. Users the hub does not know under the caller's organisation are `offline`, so presence does not cross organisations.",
   params=[{"name": "user_ids", "in": "query", "description": "Comma-separated user ids, at most 500.", "schema": {"type": "string", "pattern": "^[0-9]+(,[0-9]+)*$"}}],
   ok=ok("200", "Presence by user id.", "PresenceList"), errors={"400": ["id_invalid"], "413": ["too_many_users"]})
# --- audit
def tq(name, desc): return {"name": name, "in": "query", "description": desc, "schema": {"type": "string", "format": "date-time"}}
op("GET", "/api/v1/audit", "listAudit", "audit", "The audit trail",
   "Security-relevant actions in the caller's organisation (logins and failed logins, logouts, session and token changes, user creation, deactivation and role changes, settings changes), newest first, filtered. Organisation owners and admins. The trail is append-only: nothing in Parley changes or deletes an entry.",
   params=[{"name": "actor_id", "in": "query", "description": "Only actions by this user.", "schema": {"type": "integer", "format": "int64", "minimum": 1}},
           {"name": "action", "in": "query", "description": "Only this action; ending in `.`, the whole family (`auth.` matches `auth.login`, `auth.login_failed`, `auth.logout`).", "schema": {"type": "string", "maxLength": 64}},
           {"name": "target_type", "in": "query", "description": "Only actions on this kind of target (`user`, `session`, `token`, `org`).", "schema": {"type": "string", "maxLength": 64}},
           {"name": "target_id", "in": "query", "description": "Only actions on the target with this id.", "schema": {"type": "integer", "format": "int64", "minimum": 1}},
           {"name": "outcome", "in": "query", "description": "Only successes or failures.", "schema": {"type": "string", "enum": ["success", "failure"]}},
           tq("since", "Only entries at or after this time (RFC 3339)."), tq("until", "Only entries before this time (RFC 3339)."),
           pref("Limit"), pref("Cursor")],
   ok=ok("200", "A page of entries.", "AuditPage"),
   errors={"400": ["limit_invalid", "cursor_invalid", "id_invalid", "time_invalid", "audit_action_invalid", "audit_target_invalid", "audit_outcome_invalid", "audit_range_invalid"],
           "403": ["admin_required"]})
# --- directory
DEPT_NAME = text("department_name", 1) + ["department_name_invalid"]
DEPT_MANAGERS = "Organisation owners and admins anywhere; department admins (role `dept_admin`) inside the subtrees they administer."
op("GET", "/api/v1/departments", "listDepartments", "directory", "The department tree",
   "Every department of the caller's organisation, parents before their children, siblings by `sort_order` then name. Any authenticated user except guests.",
   ok=ok("200", "The tree.", "DepartmentList"), errors={"403": ["guest_not_allowed"]})
op("POST", "/api/v1/departments", "createDepartment", "directory", "Create a department",
   "Creates a department under `parent_id`. Top-level departments: organisation admins. Below a department: " + DEPT_MANAGERS, body="NewDepartment",
   ok=ok("201", "The new department.", "Department"),
   errors={"400": DEPT_NAME + ["sort_order_invalid", "department_too_deep"], "403": ["department_admin_required"], "404": ["parent_not_found"],
           "409": ["department_name_taken"], "413": ["too_many_departments"]})
op("GET", "/api/v1/departments/{id}", "getDepartment", "directory", "A department",
   "The department with its direct members (heads first) and the users who administer it. Any authenticated user except guests.", pathparams=["DepartmentID"],
   ok=ok("200", "The department.", "DepartmentDetail"), errors={"403": ["guest_not_allowed"], "404": ["department_not_found"]})
op("PATCH", "/api/v1/departments/{id}", "patchDepartment", "directory", "Rename or reorder a department", DEPT_MANAGERS, pathparams=["DepartmentID"], body="DepartmentPatch",
   ok=ok("200", "The changed department.", "Department"),
   errors={"400": DEPT_NAME + ["sort_order_invalid"], "403": ["department_admin_required"], "404": ["department_not_found"], "409": ["department_name_taken"]})
op("DELETE", "/api/v1/departments/{id}", "deleteDepartment", "directory", "Delete a department",
   "Deletes an empty department (no sub-departments, no members); channels bound to it are unbound. " + DEPT_MANAGERS + " A department admin cannot delete the root of their own scope.",
   pathparams=["DepartmentID"], ok={"204": {"description": "Deleted."}},
   errors={"403": ["department_admin_required"], "404": ["department_not_found"], "409": ["department_not_empty"]})
op("POST", "/api/v1/departments/{id}/move", "moveDepartment", "directory", "Move a department with its subtree",
   "Moves the department and everything below it under `parent_id`. The caller must manage the department and the new parent (" + DEPT_MANAGERS + "); a department admin cannot move the root of their own scope. Department channels follow the new tree.",
   pathparams=["DepartmentID"], body="DepartmentMove", ok=ok("200", "The moved department.", "Department"),
   errors={"400": ["sort_order_invalid", "department_cycle", "department_too_deep"], "403": ["department_admin_required"],
           "404": ["department_not_found", "parent_not_found"], "409": ["department_name_taken"]})
op("GET", "/api/v1/departments/{id}/members", "listDepartmentMembers", "directory", "Members of a department",
   "Direct members, or with `subtree=true` the members of every department below it too (each user once, the department's own heads first). Any authenticated user except guests.",
   pathparams=["DepartmentID"], params=[{"name": "subtree", "in": "query", "description": "Include the members of sub-departments.", "schema": {"type": "boolean", "default": False}}],
   ok=ok("200", "The members.", "DepartmentMemberList"), errors={"400": ["subtree_invalid"], "403": ["guest_not_allowed"], "404": ["department_not_found"]})
op("PUT", "/api/v1/departments/{id}/members/{user_id}", "putDepartmentMember", "directory", "Add a user to a department",
   "Adds the user (not a guest or bot) or changes their head flag and order. A user may belong to several departments. " + DEPT_MANAGERS + " Department channels add the user.",
   pathparams=["DepartmentID", "DeptUserID"], body="DepartmentMemberPut", ok=ok("200", "The membership.", "DepartmentMember"),
   errors={"400": ["sort_order_invalid", "department_member_role"], "403": ["department_admin_required"], "404": ["department_not_found", "user_not_found"]})
op("DELETE", "/api/v1/departments/{id}/members/{user_id}", "deleteDepartmentMember", "directory", "Remove a user from a department",
   DEPT_MANAGERS + " Department channels remove the user unless another department of the channel's subtree still holds them.",
   pathparams=["DepartmentID", "DeptUserID"], ok={"204": {"description": "Removed."}},
   errors={"403": ["department_admin_required"], "404": ["department_not_found", "department_member_not_found"]})
for method, opid, summary, desc in (("PUT", "putDepartmentAdmin", "Make a user a department admin",
                                      "Gives the user this department's subtree to administer; a `member` becomes `dept_admin`. Organisation owners and admins. Idempotent."),
                                     ("DELETE", "deleteDepartmentAdmin", "Remove a department admin scope",
                                      "Takes this subtree away from the user; their role stays for an admin to change. Organisation owners and admins. Idempotent.")):
    op(method, "/api/v1/departments/{id}/admins/{user_id}", opid, "directory", summary, desc, pathparams=["DepartmentID", "DeptUserID"],
       ok={"204": {"description": "Done."}}, errors={"400": ["department_member_role"], "403": ["admin_required"], "404": ["department_not_found", "user_not_found"]})
op("GET", "/api/v1/directory/search", "searchDirectory", "directory", "Find people and channels",
   "What the address book and the @ autocomplete use. People match by display name (anywhere), username, e-mail and phone (from the start; e-mail and phone only where the permission scheme shows them to the caller), employee number (exactly) and pinyin: full (`zhangsan`, also a part such as `san`) or initials (`zs`) both find 张三. Channels match by name or pinyin among those the caller may read. Guests find only the members of their channels and their own channels. Any authenticated user.",
   params=[{"name": "q", "in": "query", "required": True, "description": "Search text, 1–80 characters.", "schema": {"type": "string", "minLength": 1, "maxLength": 80}},
           {"name": "kind", "in": "query", "description": "What to find.", "schema": {"type": "string", "enum": ["all", "users", "channels"], "default": "all"}},
           {"name": "limit", "in": "query", "description": "At most this many of each.", "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20}}],
   ok=ok("200", "Matches.", "DirectoryResult"), errors={"400": ["kind_invalid", "limit_invalid", "query_required", "query_invalid_utf8", "query_invalid_characters", "query_too_long"]})
op("GET", "/api/v1/users/{id}/profile", "getProfile", "directory", "A user's directory card",
   "Profile, departments, manager and custom fields. Guests see only the members of their channels. E-mail and phone follow the permission scheme.", pathparams=["UserID"],
   ok=ok("200", "The card.", "Profile"), errors={"404": ["user_not_found"]})
op("PATCH", "/api/v1/users/{id}/profile", "patchProfile", "directory", "Change a user's directory profile",
   "Organisation admins, and department admins whose subtree holds the user, may change everything; users may change their own phone and custom fields that are not admin-only. Emits `user.updated`.",
   pathparams=["UserID"], body="DirectoryPatch", ok=ok("200", "The user.", "User"),
   errors={"400": text("title", 0) + text("employee_no", 0) + text("phone", 0) + ["phone_invalid", "manager_cycle", "manager_invalid", "id_invalid"] + text("field_value", 0),
           "403": ["department_admin_required"], "404": ["user_not_found", "manager_not_found", "profile_field_not_found"], "409": ["employee_no_taken"], "413": ["too_many_profile_fields"]})
op("GET", "/api/v1/profile-fields", "listProfileFields", "directory", "Custom profile fields", "Any authenticated user.", ok=ok("200", "The fields.", "ProfileFieldList"))
op("POST", "/api/v1/profile-fields", "createProfileField", "directory", "Create a custom profile field", "Organisation owners and admins; at most 50 fields.", body="FieldPatch",
   ok=ok("201", "The field.", "ProfileField"), errors={"400": ["field_name_required"] + text("field_name", 1)[1:] + ["sort_order_invalid"], "403": ["admin_required"], "409": ["profile_field_taken"], "413": ["too_many_profile_fields"]})
op("PATCH", "/api/v1/profile-fields/{id}", "patchProfileField", "directory", "Change a custom profile field", "Organisation owners and admins.", pathparams=["FieldID"], body="FieldPatch",
   ok=ok("200", "The field.", "ProfileField"), errors={"400": text("field_name", 1) + ["sort_order_invalid"], "403": ["admin_required"], "404": ["profile_field_not_found"], "409": ["profile_field_taken"]})
op("DELETE", "/api/v1/profile-fields/{id}", "deleteProfileField", "directory", "Delete a custom profile field", "Deletes the field and every value of it. Organisation owners and admins.", pathparams=["FieldID"],
   ok={"204": {"description": "Deleted."}}, errors={"403": ["admin_required"], "404": ["profile_field_not_found"]})
op("GET", "/api/v1/org/permissions", "getPermissions", "org", "The permission scheme", "Any authenticated user (clients hide what the scheme forbids).", ok=ok("200", "The scheme.", "Permissions"))
op("PATCH", "/api/v1/org/permissions", "patchPermissions", "org", "Change the permission scheme",
   "Organisation owners and admins. The services enforce the scheme: channel creation, @all/@channel/@here, inviting guests, editing, deleting and recalling one's own messages (with windows), creating bots, and who sees e-mail and phone. Emits `permissions.updated`.",
   body="PermissionsPatch", ok=ok("200", "The scheme.", "Permissions"),
   errors={"400": ["permission_unknown", "permission_level_invalid", "permission_window_invalid"], "403": ["admin_required"]})
op("GET", "/api/v1/groups", "listGroups", "directory", "User groups", "Any authenticated user except guests.", ok=ok("200", "The groups.", "GroupList"), errors={"403": ["guest_not_allowed"]})
op("POST", "/api/v1/groups", "createGroup", "directory", "Create a user group",
   "Organisation admins and department admins. A mention of @handle in a channel notifies the group's members who can read the channel.", body="GroupPatch",
   ok=ok("201", "The group.", "Group"), errors={"400": ["group_handle_invalid"] + text("group_name", 1) + text("description", 0), "403": ["department_admin_required"], "409": ["group_handle_taken"]})
op("GET", "/api/v1/groups/{id}", "getGroup", "directory", "A user group", "With its members. Any authenticated user except guests.", pathparams=["GroupID"],
   ok=ok("200", "The group.", "Group"), errors={"403": ["guest_not_allowed"], "404": ["group_not_found"]})
op("PATCH", "/api/v1/groups/{id}", "patchGroup", "directory", "Change a user group", "Organisation admins and department admins.", pathparams=["GroupID"], body="GroupPatch",
   ok=ok("200", "The group.", "Group"), errors={"400": ["group_handle_invalid"] + text("group_name", 1) + text("description", 0), "403": ["department_admin_required"], "404": ["group_not_found"], "409": ["group_handle_taken"]})
op("DELETE", "/api/v1/groups/{id}", "deleteGroup", "directory", "Delete a user group", "Organisation admins and department admins.", pathparams=["GroupID"],
   ok={"204": {"description": "Deleted."}}, errors={"403": ["department_admin_required"], "404": ["group_not_found"]})
op("PUT", "/api/v1/groups/{id}/members/{user_id}", "putGroupMember", "directory", "Add a user to a group", "Organisation admins and department admins; not guests or bots. Idempotent.",
   pathparams=["GroupID", "DeptUserID"], ok={"204": {"description": "Added."}},
   errors={"400": ["group_member_role"], "403": ["department_admin_required"], "404": ["group_not_found", "user_not_found"], "413": ["user_group_too_large"]})
op("DELETE", "/api/v1/groups/{id}/members/{user_id}", "deleteGroupMember", "directory", "Remove a user from a group", "Organisation admins and department admins. Idempotent.",
   pathparams=["GroupID", "DeptUserID"], ok={"204": {"description": "Removed."}}, errors={"403": ["department_admin_required"], "404": ["group_not_found", "user_not_found"]})
op("PUT", "/api/v1/channels/{id}/department", "bindDepartment", "channels", "Make a department channel",
   "Binds the channel to a department (0 unbinds): the users of the department's subtree are added now, and later join and leave the channel as they join and leave the subtree. The caller must administer the channel and manage the department (organisation admins; department admins of a subtree holding it). Not for DMs or archived channels.",
   pathparams=["ChannelID"], body="DepartmentBinding", ok=ok("200", "The channel (without `membership`).", "Channel"),
   errors={"400": ["dm_members_fixed"], "403": ["channel_admin_required", "department_admin_required"], "404": ["channel_not_found", "department_not_found"], "409": ["channel_archived"]})
# --- channels
op("GET", "/api/v1/channels", "listChannels", "channels", "The caller's channels", "Every channel, DM and group DM the caller is a member of, with their membership and read state. Any authenticated user.",
   ok=ok("200", "The caller's channels (`next_cursor` is empty).", "ChannelList"))
op("POST", "/api/v1/channels", "createChannel", "channels", "Create a channel",
   "Creates a public or private channel with the caller as owner and adds `user_ids` (active users of the organisation). Any authenticated user except guests.", body="NewChannel",
   ok=ok("201", "The new channel with the caller's membership.", "Channel"),
   errors={"400": ["channel_kind_invalid"] + CHAN_NAME + text("topic", 0) + text("purpose", 0) + ["user_deactivated"], "403": ["guest_not_allowed"],
           "404": ["user_not_found"], "409": ["channel_name_taken"], "413": ["too_many_users"]})
op("GET", "/api/v1/channels/browse", "browseChannels", "channels", "Browse public channels",
   "Pages through the organisation's public channels, ordered by id, filtered by `q`. The channels carry no `membership`. Any authenticated user except guests.",
   params=[pref("Query"), pref("Limit"), pref("Cursor")], ok=ok("200", "A page of public channels.", "ChannelList"),
   errors={"400": ["limit_invalid", "cursor_invalid"] + QUERY, "403": ["guest_not_allowed"]})
op("POST", "/api/v1/dms", "openDM", "channels", "Open a DM or group DM",
   "Returns the DM (one other user) or group DM (2–15 others) between the caller and `user_ids`, creating it on first use. Any authenticated user; every user must be an active user of the organisation.",
   body="UserIDs", ok=ok("200", "The DM or group DM with the caller's membership (200 also when it was just created).", "Channel"),
   errors={"400": ["dm_needs_another_user", "group_too_large", "user_deactivated"], "404": ["user_not_found"], "409": ["dm_exists"]})
op("GET", "/api/v1/channels/{id}", "getChannel", "channels", "A channel",
   "Members may read a channel; other users of the organisation may read public channels, except guests. Channels the caller may not read are 404.", pathparams=["ChannelID"],
   ok=ok("200", "The channel, with the caller's membership when a member.", "Channel"), errors={"404": ["channel_not_found"]})
op("PATCH", "/api/v1/channels/{id}", "patchChannel", "channels", "Change a channel",
   "Name, purpose and announcement need a channel admin: a channel owner or admin, or an organisation admin for public channels and private channels they are in. Members who may post may change the topic. DMs have no name or announcement flag. Not on archived channels.",
   pathparams=["ChannelID"], body="ChannelPatch", ok=ok("200", "The changed channel (without `membership`).", "Channel"),
   errors={"400": ["dm_cannot_be_renamed"] + CHAN_NAME + text("topic", 0) + text("purpose", 0), "403": ["channel_admin_required", "not_a_member"],
           "404": ["channel_not_found"], "409": ["channel_archived", "channel_name_taken"]})
for verb, act in (("archive", "Archive"), ("unarchive", "Unarchive")):
    op("POST", "/api/v1/channels/{id}/" + verb, verb + "Channel", "channels", act + " a channel",
       "Channel admins (see PATCH /api/v1/channels/{id}). Not for DMs. Idempotent.", pathparams=["ChannelID"],
       ok=ok("200", "The channel (without `membership`).", "Channel"),
       errors={"400": ["dm_cannot_be_archived"], "403": ["channel_admin_required"], "404": ["channel_not_found"]})
op("POST", "/api/v1/channels/{id}/join", "joinChannel", "channels", "Join a public channel",
   "Any authenticated user except guests, for public channels that are not archived. Joining a channel the caller is already in returns it unchanged.", pathparams=["ChannelID"],
   ok=ok("200", "The channel with the caller's membership.", "Channel"),
   errors={"403": ["channel_private"], "404": ["channel_not_found"], "409": ["channel_archived"]})
op("POST", "/api/v1/channels/{id}/leave", "leaveChannel", "channels", "Leave a channel",
   "Members of a channel or group DM. 1:1 DMs cannot be left.", pathparams=["ChannelID"], ok={"204": {"description": "Left."}},
   errors={"400": ["dm_cannot_be_left"], "403": ["not_a_member"], "404": ["channel_not_found"]})
op("GET", "/api/v1/channels/{id}/members", "listMembers", "channels", "A channel's members",
   "Whoever may read the channel (see GET /api/v1/channels/{id}). Not paginated.", pathparams=["ChannelID"],
   ok=ok("200", "Every member.", "MemberList"), errors={"404": ["channel_not_found"]})
op("POST", "/api/v1/channels/{id}/members", "inviteMembers", "channels", "Invite users",
   "Adds active users of the organisation to a channel (as `readonly` in announcement channels). Members who may post and channel admins, except guests. Not for DMs (open a new group DM) or archived channels.",
   pathparams=["ChannelID"], body="UserIDs", ok=ok("200", "How many users were added.", "InviteResult"),
   errors={"400": ["user_ids_required", "dm_members_fixed", "user_deactivated"], "403": ["not_a_member", "invite_not_allowed"],
           "404": ["channel_not_found", "user_not_found"], "409": ["channel_archived"], "413": ["too_many_users"]})
op("DELETE", "/api/v1/channels/{id}/members/{user_id}", "removeMember", "channels", "Remove a member",
   "Channel admins remove anyone; any member may remove themselves. Not for DMs.", pathparams=["ChannelID", "MemberUserID"],
   ok={"204": {"description": "Removed."}},
   errors={"400": ["dm_members_fixed"], "403": ["channel_admin_required"], "404": ["channel_not_found", "member_not_found"]})
op("PATCH", "/api/v1/channels/{id}/members/{user_id}", "patchMember", "channels", "Change a member's role",
   "Channel admins; only a channel owner or an organisation admin may make owners. Not for DMs.", pathparams=["ChannelID", "MemberUserID"], body="MemberPatch",
   ok=ok("200", "The member.", "Member"),
   errors={"400": ["role_invalid", "dm_members_fixed"], "403": ["channel_admin_required"], "404": ["channel_not_found", "member_not_found"]})
op("PUT", "/api/v1/channels/{id}/preferences", "putPreferences", "channels", "Set the caller's channel preferences",
   "Members, for their own membership. Absent fields stay as they are. Emits `read.updated` to the caller.", pathparams=["ChannelID"], body="Preferences",
   ok=ok("200", "The caller's membership.", "ReadState"),
   errors={"400": ["star_order_invalid"], "403": ["not_a_member"], "404": ["channel_not_found"]})
op("POST", "/api/v1/channels/{id}/read", "markRead", "channels", "Mark read",
   "Moves the caller's read position forward to `seq` (never backwards; a `seq` past the newest message means the newest). Members. Emits `read.updated`, and `receipt.updated` in channels small enough for receipts.",
   pathparams=["ChannelID"], body="SeqRequest", ok=ok("200", "The caller's membership.", "ReadState"),
   errors={"400": ["seq_invalid"], "403": ["not_a_member"], "404": ["channel_not_found"]})
op("POST", "/api/v1/channels/{id}/unread", "markUnread", "channels", "Mark unread",
   "Sets the caller's read position to just before `seq` (1 to the channel's `last_seq`), so `seq` and later count as unread. Members.",
   pathparams=["ChannelID"], body="SeqRequest", ok=ok("200", "The caller's membership.", "ReadState"),
   errors={"400": ["seq_invalid"], "403": ["not_a_member"], "404": ["channel_not_found"]})
op("GET", "/api/v1/channels/{id}/pins", "listPins", "channels", "Pinned messages",
   "Whoever may read the channel.", pathparams=["ChannelID"], ok=ok("200", "The pinned messages.", "MessageList"), errors={"404": ["channel_not_found"]})
op("GET", "/api/v1/channels/{id}/messages", "history", "messages", "Channel history",
   "A window of the channel's top-level messages (and replies shown in the channel), ascending by seq: before, after or around a seq (at most one), or the newest page without any. Whoever may read the channel.",
   pathparams=["ChannelID"], params=[pref("Before"), pref("After"), pref("Around"), pref("Limit")],
   ok=ok("200", "A window of history.", "HistoryPage"), errors={"400": ["cursor_invalid", "cursor_conflict", "limit_invalid"], "404": ["channel_not_found"]})
op("POST", "/api/v1/channels/{id}/messages", "postMessage", "messages", "Post a message",
   "Members who may post (owners and admins everywhere; members except in announcement channels), in channels that are not archived. Replies go to a top-level message of the same channel. Idempotent by `client_id`: a retry with a `client_id` this user already used returns the original message with 200, whatever the channel and text. The message is durably committed before the answer.",
   pathparams=["ChannelID"], body="NewMessage",
   ok=dict(ok("201", "Posted.", "Message"), **ok("200", "A retry: the original message, unchanged.", "Message")),
   errors={"400": ["client_id_required", "client_id_too_long", "client_id_invalid", "text_required", "text_invalid_utf8", "text_invalid_characters", "root_id_invalid", "reply_to_reply", "file_id_invalid", "file_id_duplicate"],
           "403": ["not_a_member", "channel_read_only"], "404": ["channel_not_found", "root_not_found", "file_not_found"],
           "409": ["channel_archived", "root_deleted", "client_id_taken", "file_already_attached"], "413": ["message_too_long", "too_many_files"]})
# --- messages
op("GET", "/api/v1/messages/{id}", "getMessage", "messages", "A message", "Whoever may read its channel.", pathparams=["MessageID"],
   ok=ok("200", "The message.", "Message"), errors={"404": ["message_not_found"]})
op("PATCH", "/api/v1/messages/{id}", "editMessage", "messages", "Edit a message",
   "The author only, while the message is not deleted or recalled and the channel is not archived. The previous text goes to the edit history.", pathparams=["MessageID"], body="EditRequest",
   ok=ok("200", "The edited message.", "Message"),
   errors={"400": ["text_required", "text_invalid_utf8", "text_invalid_characters"], "403": ["not_author"], "404": ["message_not_found"],
           "409": ["message_deleted", "channel_archived"], "413": ["message_too_long"]})
op("DELETE", "/api/v1/messages/{id}", "deleteMessage", "messages", "Delete a message",
   "The author, a channel admin, or an organisation admin (not in DMs). Hides the message from everyone; the original stays stored for compliance. Idempotent.", pathparams=["MessageID"],
   ok={"204": {"description": "Deleted."}}, errors={"403": ["not_author"], "404": ["message_not_found"]})
op("POST", "/api/v1/messages/{id}/recall", "recallMessage", "messages", "Recall (撤回) a message",
   "The author within the organisation's recall window, or an organisation admin at any time. Everyone sees that it was recalled and by whom.", pathparams=["MessageID"],
   ok=ok("200", "The recalled message.", "Message"),
   errors={"403": ["not_author"], "404": ["message_not_found"], "409": ["message_deleted", "recall_window_passed"]})
op("GET", "/api/v1/messages/{id}/history", "messageEdits", "messages", "Edit history",
   "Previous texts of a message, oldest first (empty once deleted or recalled). Whoever may read its channel.", pathparams=["MessageID"],
   ok=ok("200", "The edit history.", "EditList"), errors={"404": ["message_not_found"]})
op("GET", "/api/v1/messages/{id}/replies", "replies", "messages", "Thread replies",
   "Replies to a top-level message after a seq, ascending. Whoever may read its channel.", pathparams=["MessageID"],
   params=[seqq("after", "Replies after this seq."), pref("Limit")], ok=ok("200", "A page of replies.", "ReplyPage"),
   errors={"400": ["not_a_thread_root", "cursor_invalid", "limit_invalid"], "404": ["message_not_found"]})
for method, opid, summary, extra in (("PUT", "addReaction", "React with an emoji", {"413": ["too_many_reactions"]}), ("DELETE", "removeReaction", "Remove the caller's reaction", {})):
    e = {"400": ["emoji_invalid"], "403": ["not_a_member"], "404": ["message_not_found"], "409": ["message_deleted", "channel_archived"]}
    e.update(extra)
    op(method, "/api/v1/messages/{id}/reactions/{emoji}", opid, "messages", summary,
       "Members of the message's channel. Idempotent. A message has at most 50 different emoji.", pathparams=["MessageID", "Emoji"],
       ok=ok("200", "The message.", "Message"), errors=e)
for method, opid, summary in (("POST", "pin", "Pin a message"), ("DELETE", "unpin", "Unpin a message")):
    op(method, "/api/v1/messages/{id}/pin", opid, "messages", summary,
       "Members who may post in the channel, and channel admins. Not for deleted or recalled messages or archived channels. Idempotent.", pathparams=["MessageID"],
       ok=ok("200", "The message.", "Message"), errors={"403": ["not_a_member"], "404": ["message_not_found"], "409": ["message_deleted", "channel_archived"]})
op("GET", "/api/v1/messages/{id}/receipts", "receipts", "messages", "Read receipts",
   "Which members have read the message, for DMs and channels of up to the organisation's `receipt_max_members`. Whoever may read its channel.", pathparams=["MessageID"],
   ok=ok("200", "Readers and non-readers.", "ReceiptList"), errors={"404": ["message_not_found"], "409": ["channel_too_large_for_receipts"]})
# --- single sign-on
PROVIDER_400 = ["sso_kind_invalid", "sso_kind_unsupported", "sso_kind_immutable"] + text("provider_name", 1) + [
    "sso_secret_too_long", "sso_role_invalid", "sso_too_many_rules", "sso_rule_invalid", "sso_department_rule_invalid", "sso_department_unknown", "sso_issuer_invalid", "sso_client_id_invalid",
    "sso_scope_invalid", "sso_ldap_url_invalid", "sso_ldap_dn_invalid", "sso_ldap_filter_invalid", "sso_ldap_attribute_invalid", "sso_sync_interval_invalid",
    "sso_saml_metadata_invalid", "sso_saml_attribute_invalid"]
PROVIDER_ID = pid("id", "provider", "Identity provider id.")
params["ProviderID"] = PROVIDER_ID
op("GET", "/api/v1/auth/sso/providers", "ssoLoginOptions", "sso", "Providers to sign in with",
   "The enabled identity providers, for the login page; `org_id` limits them to one organisation. No authentication.", auth=False,
   params=[{"name": "org_id", "in": "query", "description": "Only this organisation's providers.", "schema": {"type": "integer", "format": "int64", "minimum": 0}}],
   ok=ok("200", "Enabled providers.", "SSOOptionList"), errors={"400": ["id_invalid"]})
op("GET", "/api/v1/auth/sso/{id}/start", "ssoStart", "sso", "Start an OIDC sign-in",
   "Redirects the browser to the provider's authorization endpoint (authorization code flow with PKCE, state and nonce) and sets the short-lived HttpOnly cookie `parley_sso_state` that binds the sign-in to this browser. No authentication.",
   auth=False, pathparams=["ProviderID"], ok={"302": {"description": "To the identity provider.", "headers": {"Location": {"description": "The authorization URL.", "schema": {"type": "string"}}}}},
   errors={"404": ["sso_provider_not_found"], "503": ["sso_provider_unreachable"]})
op("GET", "/api/v1/auth/sso/{id}/callback", "ssoCallback", "sso", "OIDC redirect URI",
   "Where the provider sends the browser back. Checks the state against the browser's cookie and the pending sign-in (each usable once), exchanges the code with the PKCE verifier, verifies the ID token (signature, issuer, audience, expiry, nonce, at most 16 KiB), provisions the user on first sign-in and starts a cookie session. When the organisation's `sso_require_2fa` is on and the user has TOTP, the second step is owed instead: a browser is sent to `/?sso_2fa=1` with the challenge in the HttpOnly, SameSite=Strict cookie `parley_2fa` (path /api/v1/auth/login/2fa, 5 minutes), other clients get the 202 challenge. A browser (Accept: text/html) is redirected to `/`, or to `/?sso_error=CODE` on failure; other clients get JSON. Nothing is created on a refusal. No authentication.",
   auth=False, pathparams=["ProviderID"],
   params=[{"name": n, "in": "query", "description": d, "schema": {"type": "string", "maxLength": 2048}} for n, d in
           (("state", "State from the authorization request."), ("code", "Authorization code."), ("error", "The provider's error, when it refused."))],
   ok=dict(ok("200", "Signed in (JSON clients); the token is empty, the session is in the cookies (with `two_factor_enrolment_required` when it may only set 2FA up).", "LoginResponse", SETCOOKIE),
           **ok("202", "JSON clients: the identity provider signed the user in and Parley's second step is owed (`sso_require_2fa`): finish with POST /api/v1/auth/login/2fa.", "TwoFactorChallenge"),
           **{"303": {"description": "Browsers: to the web client, signed in, with `?sso_2fa=1` (second step owed) or with `?sso_error=CODE`."}}),
   errors={"400": ["sso_callback_invalid", "sso_email_missing"], "401": ["sso_denied", "sso_state_mismatch", "sso_exchange_failed", "sso_token_invalid",
           "sso_token_expired", "sso_nonce_mismatch", "sso_userinfo_failed", "sso_subject_missing", "user_deactivated"],
           "404": ["sso_provider_not_found"], "409": ["sso_email_taken", "username_taken"], "413": ["sso_token_too_large"], "429": ["too_many_attempts"], "503": ["sso_provider_unreachable"]})
op("POST", "/api/v1/auth/ldap/login", "ldapLogin", "sso", "Log in with directory credentials",
   "Finds the entry whose `login_attr` equals the login (escaped into the filter, so filter syntax in a login name matches nothing), binds as it with the password, provisions the user on first login and returns a bearer token (or a cookie session with `cookie: true`). An empty password is refused (it would be an anonymous bind). Wrong passwords and unknown names count toward the login lockout of the name at this provider and of the client address, as password logins do; while either is locked out the directory is not contacted (429). With the organisation's `sso_require_2fa`, a user with TOTP gets the 202 challenge of a password login. No authentication.",
   auth=False, body="LDAPLoginRequest", ok=dict(ok("200", "Logged in (with `two_factor_enrolment_required` when the session may only set 2FA up).", "LoginResponse", SETCOOKIE),
                                               **ok("202", "The directory accepted the password; Parley's second step is owed (`sso_require_2fa`): finish with POST /api/v1/auth/login/2fa.", "TwoFactorChallenge")),
   errors={"400": ["credentials_required", "sso_email_missing"], "401": ["invalid_credentials", "user_deactivated"], "404": ["sso_provider_not_found"],
           "409": ["sso_email_taken", "username_taken"], "429": ["too_many_attempts"], "503": ["sso_provider_unreachable"]})
op("GET", "/api/v1/auth/saml/{id}/metadata", "samlMetadata", "sso", "SAML service provider metadata",
   "This server's SAML 2.0 service provider metadata for the provider (entity id = this URL, assertion consumer service, HTTP-POST binding), to give to the identity provider. No authentication.",
   auth=False, pathparams=["ProviderID"], ok={"200": {"description": "The metadata.", "content": {"application/samlmetadata+xml": {"schema": {"type": "string"}}}}},
   errors={"400": ["sso_saml_metadata_invalid"], "404": ["sso_provider_not_found"]})
op("GET", "/api/v1/auth/saml/{id}/start", "samlStart", "sso", "Start a SAML sign-in",
   "Redirects the browser to the identity provider with an AuthnRequest (HTTP-Redirect binding); the request id is remembered under the RelayState, usable once within 10 minutes. No authentication.",
   auth=False, pathparams=["ProviderID"], ok={"302": {"description": "To the identity provider.", "headers": {"Location": {"description": "The single sign-on URL with SAMLRequest and RelayState.", "schema": {"type": "string"}}}}},
   errors={"400": ["sso_saml_metadata_invalid"], "404": ["sso_provider_not_found"]})
op("POST", "/api/v1/auth/saml/{id}/acs", "samlACS", "sso", "SAML assertion consumer service",
   "The identity provider's HTTP-POST (form fields `SAMLResponse`, `RelayState`; `application/x-www-form-urlencoded`, at most 512 KiB). The response must answer our pending request (RelayState and InResponseTo), be signed by the provider over the assertion read (defeating signature wrapping), be addressed to us and current, and its assertion id must be new (replay). Then as the OIDC callback: the user is provisioned on first sign-in, a cookie session starts, browsers are redirected to `/` (or `/?sso_error=CODE`), other clients get JSON; with `sso_require_2fa`, the second step is owed as after the OIDC callback (`/?sso_2fa=1` and the `parley_2fa` cookie, or the 202 challenge). Nothing is created on a refusal. No authentication.",
   auth=False, pathparams=["ProviderID"],
   ok=dict(ok("200", "Signed in (JSON clients).", "LoginResponse", SETCOOKIE),
           **ok("202", "JSON clients: Parley's second step is owed (`sso_require_2fa`).", "TwoFactorChallenge"),
           **{"303": {"description": "Browsers: to the web client (`?sso_2fa=1` when the second step is owed)."}}),
   errors={"400": ["sso_callback_invalid", "sso_email_missing", "sso_saml_metadata_invalid"], "401": ["sso_state_mismatch", "sso_assertion_invalid", "sso_assertion_replayed", "sso_subject_missing", "user_deactivated"],
           "404": ["sso_provider_not_found"], "409": ["sso_email_taken", "username_taken"], "429": ["too_many_attempts"]})
op("GET", "/api/v1/sso/providers", "listSSOProviders", "sso", "The organisation's identity providers", "Organisation owners and admins.",
   ok=ok("200", "The providers.", "SSOProviderList"), errors={"403": ["admin_required"]})
op("POST", "/api/v1/sso/providers", "createSSOProvider", "sso", "Add an identity provider", "Organisation owners and admins.", body="SSOProviderRequest",
   ok=ok("201", "The new provider.", "SSOProvider"), errors={"400": PROVIDER_400, "403": ["admin_required"]})
op("GET", "/api/v1/sso/providers/{id}", "getSSOProvider", "sso", "An identity provider", "Organisation owners and admins.", pathparams=["ProviderID"],
   ok=ok("200", "The provider.", "SSOProvider"), errors={"403": ["admin_required"], "404": ["sso_provider_not_found"]})
op("PATCH", "/api/v1/sso/providers/{id}", "patchSSOProvider", "sso", "Change an identity provider", "Organisation owners and admins.", pathparams=["ProviderID"],
   body="SSOProviderRequest", ok=ok("200", "The changed provider.", "SSOProvider"),
   errors={"400": PROVIDER_400, "403": ["admin_required"], "404": ["sso_provider_not_found"]})
op("DELETE", "/api/v1/sso/providers/{id}", "deleteSSOProvider", "sso", "Remove an identity provider",
   "Organisation owners and admins. The users it provisioned stay (they can be given a password or another provider).", pathparams=["ProviderID"],
   ok={"204": {"description": "Removed."}}, errors={"403": ["admin_required"], "404": ["sso_provider_not_found"]})
op("POST", "/api/v1/sso/providers/{id}/test", "testSSOProvider", "sso", "Test the connection",
   "Fetches the OIDC discovery document, binds to the LDAP server with the service account and counts user entries, or checks the SAML metadata names a sign-on endpoint. An unreachable provider is `ok: false` with the reason. Organisation owners and admins.",
   pathparams=["ProviderID"], ok=ok("200", "The result.", "SSOTestResult"), errors={"400": ["sso_kind_unsupported"], "403": ["admin_required"], "404": ["sso_provider_not_found"]})
op("POST", "/api/v1/sso/providers/{id}/sync", "syncSSOProvider", "sso", "Sync the LDAP directory now",
   "Provisions new directory users, updates known ones and deactivates the users this provider provisioned who are gone from the directory (revoking their sessions). A search that finds nobody deactivates nobody (`sso_sync_empty`). Organisation owners and admins.",
   pathparams=["ProviderID"], ok=ok("200", "What changed.", "SSOSyncResult"),
   errors={"400": ["sso_kind_mismatch"], "403": ["admin_required"], "404": ["sso_provider_not_found"], "503": ["sso_provider_unreachable", "sso_sync_empty"]})
params["SCIMTokenID"] = pid("id", "token", "SCIM token id.")
op("GET", "/api/v1/sso/scim-tokens", "listSCIMTokens", "sso", "The organisation's SCIM tokens", "Organisation owners and admins. Values are not returned.",
   ok=ok("200", "The tokens.", "SCIMTokenList"), errors={"403": ["admin_required"]})
op("POST", "/api/v1/sso/scim-tokens", "createSCIMToken", "sso", "Create a SCIM token",
   "Organisation owners and admins. The answer carries the token's value, shown only this once: give it to the identity provider as its SCIM bearer token (base URL `/scim/v2`).",
   body="SCIMTokenRequest", ok=ok("201", "The new token with its value.", "SCIMToken"), errors={"400": text("token_name", 1), "403": ["admin_required"]})
op("DELETE", "/api/v1/sso/scim-tokens/{id}", "deleteSCIMToken", "sso", "Revoke a SCIM token", "Organisation owners and admins.", pathparams=["SCIMTokenID"],
   ok={"204": {"description": "Revoked."}}, errors={"403": ["admin_required"], "404": ["scim_token_not_found"]})
# --- search
op("GET", "/api/v1/search", "searchMessages", "search", "Search messages",
   "Full-text search over every message the caller may read: channels, DMs and group DMs they are a member of, and (except for guests) the organisation's public channels. "
   "Deleted and recalled messages are never found. Chinese, Japanese and Korean text is matched without word spaces; full-width and half-width forms match; English plurals match their singular. "
   "Operators: `from:@username`, `in:#channel`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD`, `on:YYYY-MM-DD`, `has:link`, `has:file` (messages carrying files; files by name: searchFiles), `is:thread`, "
   "`\"exact phrase\"`, `-excluded`. See docs/search.md. Any authenticated user.",
   params=[{"name": "q", "in": "query", "required": True, "description": "The query, at most 500 characters.", "schema": {"type": "string", "maxLength": 500}},
           {"name": "sort", "in": "query", "description": "`relevance` (default; newest first when the query has only filters) or `date` (newest first).", "schema": {"type": "string", "enum": ["relevance", "date"], "default": "relevance"}},
           {"name": "tz", "in": "query", "description": "IANA time zone of the dates in the query, such as Asia/Shanghai; default UTC.", "schema": {"type": "string"}},
           {"name": "limit", "in": "query", "description": "Page size.", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 20}},
           {"name": "cursor", "in": "query", "description": "The `next_cursor` of the previous page (opaque).", "schema": {"type": "string"}}],
   ok=ok("200", "A page of results.", "SearchPage"),
   errors={"400": ["search_query_required", "search_query_invalid", "search_query_too_long", "search_query_too_complex", "search_date_invalid",
                   "search_operator_invalid", "sort_invalid", "cursor_invalid", "limit_invalid", "time_zone_invalid"]})
# --- files
FILEHDRS = {
    "Content-Disposition": {"description": "`inline` for files with a preview (unless `download=1`), else `attachment`; with the file name.", "schema": {"type": "string"}},
    "Content-Security-Policy": {"description": "`default-src 'none'; ...; sandbox`: nothing in a file runs.", "schema": {"type": "string"}},
    "X-Content-Type-Options": {"description": "`nosniff`.", "schema": {"type": "string"}},
    "ETag": {"description": "The SHA-256 of the content (conditional requests answer 304).", "schema": {"type": "string"}},
}
def binary(desc):
    return {"description": desc, "headers": FILEHDRS, "content": {"application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}}
op("POST", "/api/v1/channels/{id}/files", "uploadFile", "files", "Upload a file",
   "Members who may post, in channels that are not archived. `multipart/form-data` with one part named `file` whose filename is the file's name; the body is streamed to disk, never held in memory. "
   "The file is private to the uploader until a message attaches it (`file_ids` of POST /api/v1/channels/{id}/messages). The content type is detected from the bytes; a name whose extension "
   "names an inline format (png, jpg, gif, webp, pdf, mp4, webm, mp3, wav, ogg...) must match the bytes. Images are checked from their header before decoding (at most 40 megapixels, "
   "animated GIFs at most 1000 frames) and get a thumbnail. Limits per organisation: `file_max_bytes` per file and `file_quota_bytes` per member (see Org).",
   pathparams=["ChannelID"],
   rawbody={"required": True, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream", "description": "The file; its filename is the file's name."}}}}}},
   ok=ok("201", "Stored.", "File"),
   errors={"400": ["multipart_required", "file_part_missing", "file_name_required", "file_name_too_long", "file_name_invalid", "file_type_mismatch", "image_invalid", "upload_incomplete"],
           "403": ["not_a_member", "channel_read_only"], "404": ["channel_not_found"], "409": ["channel_archived"],
           "413": ["file_too_large", "file_quota_exceeded", "image_too_large", "image_too_many_frames"]})
op("GET", "/api/v1/channels/{id}/files", "channelFiles", "files", "A channel's files",
   "Files attached to the channel's messages that are not deleted or recalled, newest first. Whoever may read the channel.",
   pathparams=["ChannelID"], params=[pref("Limit"), pref("Cursor")], ok=ok("200", "A page of files.", "FilePage"),
   errors={"400": ["cursor_invalid", "limit_invalid"], "404": ["channel_not_found"]})
op("GET", "/api/v1/files/{id}", "getFile", "files", "A file's metadata",
   "The uploader, until the file is attached; then whoever may read its channel. Files of deleted or recalled messages: organisation admins only.",
   pathparams=["FileID"], ok=ok("200", "The file.", "File"), errors={"404": ["file_not_found"]})
op("DELETE", "/api/v1/files/{id}", "deleteFile", "files", "Delete an unattached upload",
   "The uploader, while no message attaches the file (a file removed from the composer before sending). Attached files go with their message: delete or recall it. Uploads never attached are deleted after 24 hours anyway.",
   pathparams=["FileID"], ok={"204": {"description": "Deleted, with its content and thumbnail."}},
   errors={"403": ["not_uploader"], "404": ["file_not_found"], "409": ["file_already_attached"]})
op("GET", "/api/v1/files/{id}/content", "downloadFile", "files", "Download a file",
   "Who may read the file (see getFile). Files with a preview are served with their type and `Content-Disposition: inline` (for <img>, <video>, <audio>, the PDF viewer) unless `download=1`; all others, SVG and HTML included, as `application/octet-stream` attachments. Every answer carries `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy. Range requests are supported (206).",
   pathparams=["FileID"], params=[{"name": "download", "in": "query", "description": "`1`: always as an attachment.", "schema": {"type": "string", "enum": ["1"]}}],
   ok={"200": binary("The content."), "206": binary("A range of the content."), "304": {"description": "Not modified (If-None-Match)."}},
   errors={"404": ["file_not_found", "blob_not_found"]})
op("GET", "/api/v1/link-previews/images/{name}", "linkPreviewImage", "messages", "A link preview's image",
   "The re-encoded thumbnail a link preview's `image_url` points at (JPEG, or PNG with transparency). Any member of the organisation that keeps it (guests included): the name is random and sent only with the messages carrying the preview. Served with the files' safe headers (`nosniff`, a sandboxing Content-Security-Policy, `Cross-Origin-Resource-Policy: same-origin`).",
   params=[{"name": "name", "in": "path", "required": True, "description": "The image's name, from `image_url`: 32 hex digits and `.jpg` or `.png`.", "schema": {"type": "string", "maxLength": 36}}],
   ok={"200": binary("The image."), "304": {"description": "Not modified (If-None-Match)."}},
   errors={"404": ["preview_image_not_found"]})
op("GET", "/api/v1/files/{id}/thumbnail", "fileThumbnail", "files", "A file's thumbnail",
   "A JPEG (or PNG, for images with transparency) fitting in 400×400 pixels, made at upload. Who may read the file.",
   pathparams=["FileID"], ok={"200": binary("The thumbnail."), "304": {"description": "Not modified (If-None-Match)."}},
   errors={"404": ["file_not_found", "file_no_thumbnail", "blob_not_found"]})
op("GET", "/api/v1/search/files", "searchFiles", "search", "Search files by name",
   "Files whose name contains the text (case-insensitive), attached to visible messages of the channels the caller may read (members; public channels except for guests), newest first. Any authenticated user.",
   params=[{"name": "q", "in": "query", "required": True, "description": "Part of the name, at most 200 characters.", "schema": {"type": "string", "maxLength": 200}}, pref("Limit"), pref("Cursor")],
   ok=ok("200", "A page of files.", "FilePage"),
   errors={"400": ["search_query_required", "search_query_too_long", "query_invalid_characters", "cursor_invalid", "limit_invalid"]})
# --- stream
op("GET", "/api/v1/stream", "stream", "stream", "Realtime event stream (WebSocket)",
   "Upgrades to a WebSocket carrying every event the user may see, in order; see docs/realtime.md for the protocol and close codes. Any authenticated user. Cookie sessions must come from the same origin (the Origin header, when present, must name the requested host).",
   params=[{"name": "since", "in": "query", "description": "The last event seq the client received: resume with every later event. Without it, live events after `hello.seq`.", "schema": {"type": "integer", "format": "int64", "minimum": 0}}],
   ok={"101": {"description": "Switching Protocols: the WebSocket stream (frames are `Frame` objects and control frames, see docs/realtime.md)."}},
   errors={"403": ["origin_not_allowed"]})

WRITE = {"POST", "PUT", "PATCH", "DELETE"}
paths = collections.OrderedDict()
for o in ops:
    item = paths.setdefault(o["path"], collections.OrderedDict())
    if o["pathparams"]:
        item["parameters"] = [pref(p) for p in o["pathparams"]]
    errors = {k: list(v) for k, v in o["errors"].items()}
    def add(st, codes, front=False):
        cur = errors.setdefault(st, [])
        for c in codes:
            if c not in cur:
                if front: cur.insert(0, c)
                else: cur.append(c)
    if o["body"]:
        add("400", DECODE, front=True)
        add("413", ["body_too_large"], front=True)
    if o["pathparams"]:
        add("400", ["id_invalid"], front=True)
    if o["auth"]:
        add("401", ["unauthenticated", "session_expired", "token_expired", "two_factor_required", "user_deactivated"])
        if o["opid"] not in ("logout", "getMe", "getSecurityPolicy") and o["tag"] != "security":
            add("403", ["two_factor_enrolment_required"])
        if o["method"] in WRITE:
            add("403", ["csrf_failed"])
            if o["tag"] != "security":
                add("403", ["token_scope_insufficient"])
    if o["opid"] not in ("healthz", "getOpenAPI"):
        add("503", ["unavailable"])
        if o["method"] in WRITE:
            add("503", ["shutting_down"])
    responses = collections.OrderedDict()
    for st in sorted(o["ok"]):
        responses[st] = o["ok"][st]
    for st in sorted(errors):
        codes = errors[st]
        if o["opid"] == "stream" and st in ("400", "503"):
            continue
        responses[st] = {"$ref": "#/components/responses/Error",
                         "description": STATUS_TEXT[st] + " Codes: " + ", ".join("`%s`" % c for c in codes) + "."}
    if o["opid"] == "stream":
        responses["400"] = {"description": "`since` is not a non-negative integer (plain text, not an ErrorBody).", "content": {"text/plain": {"schema": {"type": "string"}}}}
        responses["503"] = {"description": "The server is shutting down (plain text, not an ErrorBody), or `unavailable` (ErrorBody) while authenticating.",
                            "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                            "content": {"text/plain": {"schema": {"type": "string"}}, "application/json": {"schema": ref("ErrorBody")}}}
        responses = collections.OrderedDict(sorted(responses.items()))
    oper = collections.OrderedDict()
    oper["operationId"] = o["opid"]
    oper["tags"] = [o["tag"]]
    oper["summary"] = o["summary"]
    oper["description"] = o["desc"]
    if not o["auth"]:
        oper["security"] = []
    elif o["method"] in WRITE:
        oper["security"] = [{"bearerAuth": []}, {"sessionCookie": [], "csrfToken": []}]
    else:
        oper["security"] = [{"bearerAuth": []}, {"sessionCookie": []}]
    if o["params"]:
        oper["parameters"] = o["params"]
    if o["body"]:
        oper["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(o["body"])}}}
    if o["rawbody"]:
        oper["requestBody"] = o["rawbody"]
    oper["responses"] = responses
    item[o["method"].lower()] = oper

doc = collections.OrderedDict()
doc["openapi"] = "3.1.0"
doc["info"] = {
    "title": "Parley API",
    "version": "1",
    "summary": "The public REST API of Parley, an enterprise chat server.",
    "description": "Everything the web client does goes through this API. JSON in and out, UTF-8; request bodies are limited to 256 KiB and unknown fields, wrong types, invalid UTF-8 and control characters are refused with 400. IDs are positive integers below 2^53; times are RFC 3339 UTC strings with milliseconds, or null. Errors carry a stable `error.code` and a message in the caller's language (Accept-Language zh-CN or en). Any route may also answer 500 `internal`; unknown paths under /api/ answer 404 `not_found`, wrong methods 405 `method_not_allowed`. Authorization is decided by the server per route as described in each operation. The prose guide is docs/api.md; the realtime protocol is docs/realtime.md. The SCIM 2.0 server under /scim/v2 (identity-provider provisioning: Users, Groups, Bulk) is not described here: it speaks RFC 7643/7644 with an organisation's SCIM token, is documented in docs/sso.md, and its routes are held to internal/scim/testdata/authz.policy.",
    "license": {"name": "Apache 2.0", "identifier": "Apache-2.0"},
}
doc["servers"] = [{"url": "/"}]
doc["tags"] = [{"name": n, "description": d} for n, d in [
    ("meta", "Health, readiness and this document."), ("session", "First-run setup, login and logout."),
    ("org", "The caller's organisation."), ("users", "Users, profiles and presence."), ("security", "The caller's password, two-factor authentication, sessions and access tokens."), ("audit", "The organisation's audit trail."),
    ("directory", "The department tree (通讯录) and its members."),
    ("channels", "Channels, DMs, membership and read state."), ("messages", "Messages, threads, reactions, pins and receipts."),
    ("files", "Uploads, downloads, thumbnails and channel file lists."),
    ("search", "Full-text search of messages and file names."), ("sso", "Single sign-on (OIDC, LDAP) and identity provider settings."), ("stream", "The realtime event stream.")]]
doc["paths"] = paths
doc["components"] = collections.OrderedDict([
    ("securitySchemes", {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A token from POST /api/v1/auth/login (scripts, bots, SDKs). No CSRF token needed."},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "parley_session", "description": "The web client's session cookie (HttpOnly, SameSite=Lax), from login or setup with `cookie: true`."},
        "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description": "With a cookie session, every state-changing request must send this header equal to the readable cookie `parley_csrf`; else 403 `csrf_failed`."},
    }),
    ("headers", {"Retry-After": {"description": "Seconds to wait before retrying (429 and 503).", "schema": {"type": "integer", "minimum": 0}}}),
    ("responses", {"Error": {"description": "An error. `error.code` is stable and machine-readable; `error.message` is localised.",
                             "headers": {"Retry-After": {"$ref": "#/components/headers/Retry-After"}},
                             "content": {"application/json": {"schema": ref("ErrorBody")}}}}),
    ("parameters", params),
    ("schemas", schemas),
])
open("internal/httpapi/openapi.json", "w", encoding="utf-8").write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
print(len(ops), "operations")
