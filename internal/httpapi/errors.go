package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/parley-chat/parley/internal/errs"
)

// status maps an error kind to its HTTP status. This is the only place that
// knows both.
func status(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Permission:
		return http.StatusForbidden
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries a stable machine code and a message in the caller's
// language.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// lang picks the response language from Accept-Language: zh-CN for any
// Chinese preference that comes before English, else en.
func lang(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh-CN"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "en"
}

// writeError renders err. Internal errors are logged with their detail and
// shown to the client only as "internal".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	kind := errs.KindOf(err)
	code := errs.CodeOf(err)
	st := status(kind)
	if st >= 500 {
		if kind == errs.Unavailable {
			log.Warn("unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		} else {
			log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
			code = "internal"
		}
	}
	if kind == errs.RateLimited {
		if s, ok := errs.ParamsOf(err)["seconds"]; ok {
			w.Header().Set("Retry-After", fmt.Sprint(s))
		}
	}
	if kind == errs.Unavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, st, ErrorBody{Error: ErrorDetail{Code: code, Message: message(lang(r), code, kind, errs.ParamsOf(err))}})
}

func writeJSON(w http.ResponseWriter, st int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		st = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(st)
	w.Write(append(b, '\n'))
}

// message renders the localised message for code, substituting {param}s,
// falling back to the kind's generic message.
func message(lang, code string, kind errs.Kind, params map[string]any) string {
	m, ok := catalog[code]
	if !ok {
		m, ok = catalog[kind.String()]
	}
	if !ok {
		m = catalog["internal"]
	}
	s := m.en
	if lang == "zh-CN" {
		s = m.zh
	}
	for k, v := range params {
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

type text struct{ en, zh string }

// catalog holds the message of every stable error code in both languages. A
// test checks that every code the code base uses is here.
var catalog = map[string]text{
	// Generic, one per kind.
	"invalid":         {"The request is invalid.", "请求无效。"},
	"not_found":       {"Not found.", "未找到。"},
	"conflict":        {"The request conflicts with the current state.", "请求与当前状态冲突。"},
	"permission":      {"You are not allowed to do that.", "你没有执行此操作的权限。"},
	"unauthenticated": {"Please log in.", "请先登录。"},
	"rate_limited":    {"Too many requests; try again later.", "请求过于频繁，请稍后再试。"},
	"too_large":       {"The request is too large.", "请求内容过大。"},
	"unavailable":     {"The service is temporarily unavailable; try again.", "服务暂时不可用，请重试。"},
	"internal":        {"Something went wrong on the server.", "服务器出现错误。"},
	"other":           {"Something went wrong on the server.", "服务器出现错误。"},

	// Request format.
	"body_too_large":    {"The request body is larger than {max} bytes.", "请求体超过 {max} 字节。"},
	"invalid_json":      {"The request body is not valid JSON.", "请求体不是有效的 JSON。"},
	"invalid_utf8":      {"The request contains invalid UTF-8.", "请求包含无效的 UTF-8 编码。"},
	"unknown_field":     {"Unknown field \"{field}\".", "未知字段“{field}”。"},
	"wrong_type":        {"Field \"{field}\" has the wrong type.", "字段“{field}”的类型错误。"},
	"unsupported_media": {"Send the body as application/json.", "请以 application/json 格式发送请求体。"},
	"id_invalid":        {"The id in the path is not valid.", "路径中的 ID 无效。"},
	"cursor_invalid":    {"The cursor is not valid.", "分页游标无效。"},
	"cursor_conflict":   {"Use only one of before, after and around.", "before、after、around 只能使用其中一个。"},
	"limit_invalid":     {"limit must be between 1 and 200.", "limit 必须在 1 到 200 之间。"},
	// Search.
	"search_query_required":    {"Type something to search for, or an operator such as from:@name.", "请输入搜索内容，或使用 from:@用户名 等搜索条件。"},
	"search_query_invalid":     {"The search text is not valid UTF-8.", "搜索内容不是有效的 UTF-8。"},
	"search_query_too_long":    {"Search text is at most {max} characters.", "搜索内容最多 {max} 个字符。"},
	"search_query_too_complex": {"A search can have at most {max} words and phrases.", "一次搜索最多包含 {max} 个词语或短语。"},
	"search_date_invalid":      {"\"{value}\" is not a date; write YYYY-MM-DD.", "“{value}”不是有效日期，请使用 YYYY-MM-DD 格式。"},
	"search_operator_invalid":  {"Unknown search operator \"{value}\"; use has:link, has:file or is:thread.", "未知的搜索条件“{value}”，可用 has:link、has:file 或 is:thread。"},
	"sort_invalid":             {"sort must be relevance or date.", "sort 必须是 relevance 或 date。"},
	"method_not_allowed":       {"This method is not allowed here.", "不支持此请求方法。"},
	"csrf_failed":              {"Missing or wrong CSRF token; reload the page.", "CSRF 令牌缺失或错误，请刷新页面。"},
	"origin_not_allowed":       {"Cross-origin request refused.", "已拒绝跨站请求。"},
	"shutting_down":            {"The server is restarting; try again in a moment.", "服务器正在重启，请稍后重试。"},
	"migrations_pending":       {"The database schema is not up to date.", "数据库结构尚未更新。"},
	"websocket_required":       {"This endpoint needs a WebSocket upgrade.", "此接口需要 WebSocket 连接。"},
	"resync_required":          {"Too far behind; reload.", "落后太多，请重新加载。"},
	"query_too_long":           {"The search text is too long.", "搜索内容过长。"},
	"query_invalid_utf8":       {"The search text is not valid UTF-8.", "搜索内容不是有效的 UTF-8。"},
	"query_invalid_characters": {"The search text contains control characters.", "搜索内容包含控制字符。"},

	// Setup and login.
	"setup_token_invalid":  {"This setup link is not valid; use the link from the server log.", "安装链接无效，请使用服务器日志中的链接。"},
	"already_set_up":       {"Parley is already set up.", "Parley 已完成初始化。"},
	"credentials_required": {"Enter your e-mail or username and password.", "请输入邮箱或用户名以及密码。"},
	"invalid_credentials":  {"Wrong e-mail, username or password.", "邮箱、用户名或密码错误。"},
	"too_many_attempts":    {"Too many failed logins; try again in {seconds} seconds.", "登录失败次数过多，请在 {seconds} 秒后重试。"},
	"session_expired":      {"Your session has expired; please log in again.", "会话已过期，请重新登录。"},
	"session_not_found":    {"Your session was not found; please log in again.", "未找到会话，请重新登录。"},
	"user_deactivated":     {"This account is deactivated.", "该账号已停用。"},

	// parley migrate --from/--to (command line; listed so every code has both languages).
	"target_not_postgres": {"The target must be a postgres:// URL.", "目标必须是 postgres:// 地址。"},
	"source_unusable":     {"The source installation cannot be opened.", "无法打开源数据目录。"},
	"source_in_use":       {"The source installation is in use; stop its server first.", "源数据目录正在被使用，请先停止其服务器。"},
	"source_not_migrated": {"The source database is not at this binary's schema version; run parley migrate on it first.", "源数据库的架构版本与本程序不一致，请先对其运行 parley migrate。"},
	"target_not_empty":    {"The target database is not empty; nothing was written.", "目标数据库不为空，未写入任何数据。"},
	"schema_mismatch":     {"The source and target schema versions differ.", "源数据库与目标数据库的架构版本不一致。"},
	"copy_unsupported":    {"This binary cannot copy the schema it found.", "本程序无法复制所发现的数据库架构。"},
	"copy_mismatch":       {"The copy does not match the source (counts or checksums); nothing was committed.", "副本与源数据不一致（行数或校验和），未提交任何数据。"},

	// Sealed secrets (ADR 0019): start-up, parley admin rotate-secret-key, and
	// a server given the wrong key file.
	"secret_key_required":  {"No secret key is configured; set --secret-key-file (required with PostgreSQL).", "未配置密钥：请设置 --secret-key-file（使用 PostgreSQL 时必须设置）。"},
	"secret_key_invalid":   {"The secret key file is missing or does not hold a key.", "密钥文件不存在或其中没有有效的密钥。"},
	"secret_key_unknown":   {"A stored secret was encrypted with a key this server does not have; ask the administrator to configure the right key file.", "已保存的密钥是用本服务器没有的密钥加密的，请联系管理员配置正确的密钥文件。"},
	"secret_unreadable":    {"A stored secret cannot be decrypted (damaged or altered); it must be entered again.", "已保存的密钥无法解密（已损坏或被篡改），需要重新填写。"},
	"secret_not_sealed":    {"The value is not an encrypted secret.", "该值不是加密后的密钥。"},
	"secret_key_unchanged": {"The new key file holds the key already in use; give a new one.", "新密钥文件中的密钥与当前使用的相同，请提供新的密钥。"},

	// Account security.
	"password_too_simple":           {"Use at least {min} kinds of characters: lower-case, upper-case, digits, symbols.", "密码至少需要包含 {min} 类字符：小写字母、大写字母、数字、符号。"},
	"password_too_common":           {"This password is one of the most common ones; choose another.", "该密码属于最常见的密码，请换一个。"},
	"password_contains_name":        {"The password must not contain your e-mail address or name.", "密码不能包含你的邮箱或姓名。"},
	"password_wrong":                {"Your current password is wrong.", "当前密码错误。"},
	"policy_min_length_invalid":     {"The minimum length must be between {min} and {max}.", "最小长度必须在 {min} 到 {max} 之间。"},
	"policy_min_classes_invalid":    {"The number of character kinds must be between 1 and 4.", "字符种类数必须在 1 到 4 之间。"},
	"two_factor_required":           {"Enter the code from your authenticator app to finish logging in.", "请输入身份验证器应用中的验证码以完成登录。"},
	"two_factor_code_required":      {"Enter either a code from your authenticator app or a recovery code.", "请输入身份验证器中的验证码或一个恢复码。"},
	"two_factor_code_invalid":       {"That code is not right; check the time on your phone and try again.", "验证码不正确，请检查手机时间后重试。"},
	"two_factor_code_used":          {"That code was already used; wait for the next one.", "该验证码已使用过，请等待下一个验证码。"},
	"two_factor_already_enabled":    {"Two-factor authentication is already on.", "两步验证已开启。"},
	"two_factor_not_started":        {"Start the set-up first to get a secret for your app.", "请先开始设置，获取用于应用的密钥。"},
	"role_not_assignable":           {"Department admins are appointed on their department; bots cannot be assigned.", "部门管理员请在部门中设置；不能指定为机器人。"},
	"cannot_change_own_role":        {"You cannot change your own role.", "不能修改自己的角色。"},
	"policy_not_found":              {"The organisation uses the default policy.", "组织使用默认策略。"},
	"totp_not_found":                {"Two-factor authentication is not set up.", "尚未设置两步验证。"},
	"two_factor_not_enabled":        {"Two-factor authentication is not on.", "两步验证未开启。"},
	"two_factor_required_by_policy": {"Your organisation requires two-factor authentication; it cannot be turned off.", "你的组织要求开启两步验证，无法关闭。"},
	"two_factor_enrolment_required": {"Your organisation requires two-factor authentication: set it up to continue.", "你的组织要求开启两步验证，请先完成设置。"},
	"challenge_invalid":             {"This login attempt has expired; log in again.", "本次登录已失效，请重新登录。"},
	"token_expired":                 {"This access token has expired; create a new one.", "该访问令牌已过期，请新建一个。"},
	"token_not_allowed":             {"Access tokens cannot manage account security; log in instead.", "访问令牌不能管理账号安全设置，请登录后操作。"},
	"token_scope_insufficient":      {"This access token may only read.", "该访问令牌只有读取权限。"},
	"token_not_found":               {"No such access token.", "找不到该访问令牌。"},
	"token_name_required":           {"Give the token a name.", "请为令牌命名。"},
	"token_name_invalid_characters": {"The token name contains control characters.", "令牌名称包含控制字符。"},
	"token_name_too_long":           {"The token name is at most {max} characters.", "令牌名称最多 {max} 个字符。"},
	"token_scope_invalid":           {"scope must be read or write.", "scope 必须是 read 或 write。"},
	"token_expiry_invalid":          {"A token expires after 1 to {max} days.", "令牌有效期为 1 到 {max} 天。"},
	"too_many_tokens":               {"You can have at most {max} access tokens; revoke some first.", "最多只能有 {max} 个访问令牌，请先撤销一些。"},

	// Invitations.
	"invite_not_found":        {"This invitation link is not valid. Ask an admin for a new one.", "该邀请链接无效，请向管理员索取新的链接。"},
	"invite_expired":          {"This invitation has expired. Ask an admin for a new one.", "该邀请已过期，请向管理员索取新的邀请。"},
	"invite_revoked":          {"This invitation was withdrawn by an admin.", "该邀请已被管理员撤销。"},
	"invite_used_up":          {"This invitation has already been used.", "该邀请已被使用。"},
	"invite_email_mismatch":   {"This invitation is for another e-mail address.", "该邀请仅限另一个邮箱地址使用。"},
	"invite_role_invalid":     {"An invitation is for a member or a guest.", "邀请的角色只能是成员或访客。"},
	"invite_expiry_invalid":   {"An invitation expires after 1 to {max} days.", "邀请的有效期为 1 到 {max} 天。"},
	"invite_max_uses_invalid": {"An invitation can be used 1 to {max} times (once when it is for an e-mail address).", "邀请可使用 1 到 {max} 次（指定邮箱的邀请只能使用一次）。"},
	"too_many_invitations":    {"There are already {max} open invitations; revoke some first.", "已有 {max} 个有效邀请，请先撤销一些。"},

	// Audit trail.
	"time_invalid":          {"{field} is not a time; use RFC 3339, such as 2026-01-31T08:00:00Z.", "{field} 不是有效时间，请使用 RFC 3339 格式，例如 2026-01-31T08:00:00Z。"},
	"audit_action_invalid":  {"The action filter is not valid.", "操作类型筛选条件无效。"},
	"audit_target_invalid":  {"The target filter is not valid.", "操作对象筛选条件无效。"},
	"audit_outcome_invalid": {"outcome must be success or failure.", "outcome 必须是 success 或 failure。"},
	"audit_range_invalid":   {"since must be before until.", "开始时间必须早于结束时间。"},

	// Accounts.
	"admin_required":              {"Only organisation admins can do that.", "只有组织管理员可以执行此操作。"},
	"owner_required":              {"Only the organisation owner can do that.", "只有组织所有者可以执行此操作。"},
	"cannot_deactivate_self":      {"You cannot deactivate yourself.", "不能停用自己的账号。"},
	"user_not_found":              {"User not found.", "未找到该用户。"},
	"org_not_found":               {"Organisation not found.", "未找到该组织。"},
	"preview_not_found":           {"Link preview not found.", "未找到链接预览。"},
	"setting_not_found":           {"Setting not found.", "未找到该设置。"},
	"email_taken":                 {"This e-mail address is already in use.", "该邮箱已被使用。"},
	"username_taken":              {"This username is already taken.", "该用户名已被占用。"},
	"email_invalid":               {"Enter a valid e-mail address.", "请输入有效的邮箱地址。"},
	"email_required":              {"E-mail is required.", "邮箱不能为空。"},
	"email_too_long":              {"The e-mail address is too long.", "邮箱地址过长。"},
	"email_too_short":             {"Enter a valid e-mail address.", "请输入有效的邮箱地址。"},
	"email_invalid_utf8":          {"Enter a valid e-mail address.", "请输入有效的邮箱地址。"},
	"email_invalid_characters":    {"Enter a valid e-mail address.", "请输入有效的邮箱地址。"},
	"username_invalid":            {"Usernames use 2–40 lower-case letters, digits, '.', '_' or '-'.", "用户名由 2–40 个小写字母、数字、“.”“_”或“-”组成。"},
	"username_too_long":           {"Usernames are at most {max} characters.", "用户名最多 {max} 个字符。"},
	"password_too_short":          {"Passwords need at least {min} characters.", "密码至少需要 {min} 个字符。"},
	"password_too_long":           {"Passwords are at most {max} characters.", "密码最多 {max} 个字符。"},
	"password_invalid_utf8":       {"The password is not valid UTF-8.", "密码不是有效的 UTF-8。"},
	"role_invalid":                {"Unknown role.", "未知角色。"},
	"locale_unsupported":          {"Supported languages are zh-CN and en.", "支持的语言为 zh-CN 和 en。"},
	"time_zone_invalid":           {"Unknown time zone.", "未知时区。"},
	"avatar_url_invalid":          {"The avatar URL is not valid.", "头像地址无效。"},
	"recall_window_invalid":       {"The recall window must be between 0 and 365 days.", "撤回时限必须在 0 到 365 天之间。"},
	"receipt_max_members_invalid": {"The read-receipt limit must be between 2 and 10000 members.", "已读回执人数上限必须在 2 到 10000 之间。"},

	// Directory.
	"department_not_found":               {"Department not found.", "未找到该部门。"},
	"parent_not_found":                   {"The parent department was not found.", "未找到上级部门。"},
	"department_name_taken":              {"A department with this name already exists at this level.", "同一级下已有同名部门。"},
	"department_name_invalid":            {"Department names cannot contain '/'.", "部门名称不能包含“/”。"},
	"department_name_required":           {"Department name is required.", "部门名称不能为空。"},
	"department_name_too_long":           {"Department names are at most {max} characters.", "部门名称最多 {max} 个字符。"},
	"department_name_invalid_utf8":       {"The department name is not valid UTF-8.", "部门名称不是有效的 UTF-8。"},
	"department_name_invalid_characters": {"Department names cannot contain control or direction-override characters.", "部门名称不能包含控制字符或文字方向控制符。"},
	"department_too_deep":                {"Departments can be nested at most {max} levels deep.", "部门最多嵌套 {max} 层。"},
	"too_many_departments":               {"An organisation can have at most {max} departments.", "一个组织最多 {max} 个部门。"},
	"department_cycle":                   {"A department cannot move below itself.", "部门不能移动到自己的下级。"},
	"department_admin_required":          {"Only admins of this department can do that.", "只有该部门的管理员可以执行此操作。"},
	"department_not_empty":               {"Move or remove the department's members and sub-departments first.", "请先移走该部门的成员和下级部门。"},
	"department_member_role":             {"Guests and bots cannot belong to departments or administer them.", "访客和机器人不能加入或管理部门。"},
	"directory_unavailable":              {"The department directory is not available on this server.", "此服务器上的部门通讯录不可用。"},
	"group_parent_not_found":             {"The parent group is not a department of this organisation.", "上级群组不是本组织的部门。"},
	"group_member_not_found":             {"A group member is not a user of this organisation.", "群组成员不是本组织的用户。"},
	"external_id_invalid":                {"The externalId must be at most {max} bytes without control characters.", "externalId 最多 {max} 字节，且不能包含控制字符。"},
	"department_member_not_found":        {"That user is not in this department.", "该用户不在此部门中。"},
	"sort_order_invalid":                 {"Invalid sort order.", "排序值无效。"},
	"subtree_invalid":                    {"subtree must be true or false.", "subtree 只能是 true 或 false。"},
	"employee_no_taken":                  {"This employee number is already in use.", "该工号已被使用。"},
	"profile_field_taken":                {"A profile field with this name already exists.", "已存在同名资料字段。"},
	"group_handle_taken":                 {"This group handle is already taken.", "该用户组标识已被占用。"},

	"bot_create_not_allowed":         {"Your organisation does not let you create bots.", "你的组织不允许你创建机器人。"},
	"channel_create_not_allowed":     {"Your organisation does not let you create this kind of channel.", "你的组织不允许你创建此类频道。"},
	"delete_not_allowed":             {"Your organisation does not let you delete your messages.", "你的组织不允许你删除自己的消息。"},
	"delete_window_passed":           {"Messages can only be deleted within {seconds} seconds of sending.", "消息只能在发送后 {seconds} 秒内删除。"},
	"edit_not_allowed":               {"Your organisation does not let you edit your messages.", "你的组织不允许你编辑自己的消息。"},
	"edit_window_passed":             {"Messages can only be edited within {seconds} seconds of sending.", "消息只能在发送后 {seconds} 秒内编辑。"},
	"recall_not_allowed":             {"Your organisation does not let you recall your messages.", "你的组织不允许你撤回自己的消息。"},
	"mention_all_not_allowed":        {"Your organisation does not let you notify everyone (@all, @channel, @here) here.", "你的组织不允许你在此通知所有人（@all、@channel、@here）。"},
	"guest_invite_not_allowed":       {"Your organisation does not let you invite guests.", "你的组织不允许你邀请访客。"},
	"permission_unknown":             {"Unknown permission {name}.", "未知权限 {name}。"},
	"permission_level_invalid":       {"{name} must be everyone, members, channel_admins or admins.", "{name} 只能是 everyone、members、channel_admins 或 admins。"},
	"permission_window_invalid":      {"{name} must be between 0 and 31536000 seconds.", "{name} 必须在 0 到 31536000 秒之间。"},
	"description_invalid_characters": {"The description cannot contain control or direction-override characters.", "描述不能包含控制字符或文字方向控制符。"},
	"description_invalid_utf8":       {"The description is not valid UTF-8.", "描述不是有效的 UTF-8。"},
	"description_too_long":           {"Descriptions are at most {max} characters.", "描述最多 {max} 个字符。"},
	"employee_no_invalid_characters": {"Employee numbers cannot contain control or direction-override characters.", "工号不能包含控制字符或文字方向控制符。"},
	"employee_no_invalid_utf8":       {"The employee number is not valid UTF-8.", "工号不是有效的 UTF-8。"},
	"employee_no_too_long":           {"Employee numbers are at most {max} characters.", "工号最多 {max} 个字符。"},
	"field_name_invalid_characters":  {"Field names cannot contain control or direction-override characters.", "字段名称不能包含控制字符或文字方向控制符。"},
	"field_name_invalid_utf8":        {"The field name is not valid UTF-8.", "字段名称不是有效的 UTF-8。"},
	"field_name_required":            {"Field name is required.", "字段名称不能为空。"},
	"field_name_too_long":            {"Field names are at most {max} characters.", "字段名称最多 {max} 个字符。"},
	"field_value_invalid_characters": {"The value cannot contain control or direction-override characters.", "字段值不能包含控制字符或文字方向控制符。"},
	"field_value_invalid_utf8":       {"The value is not valid UTF-8.", "字段值不是有效的 UTF-8。"},
	"field_value_too_long":           {"Values are at most {max} characters.", "字段值最多 {max} 个字符。"},
	"profile_field_not_found":        {"Profile field not found.", "未找到该资料字段。"},
	"too_many_profile_fields":        {"An organisation can have at most {max} profile fields.", "一个组织最多 {max} 个资料字段。"},
	"group_handle_invalid":           {"Group handles use 2–40 lower-case letters, digits, '.', '_' or '-' and cannot be all, channel or here.", "用户组标识由 2–40 个小写字母、数字、“.”“_”或“-”组成，且不能是 all、channel 或 here。"},
	"group_member_role":              {"Guests and bots cannot join user groups.", "访客和机器人不能加入用户组。"},
	"group_name_invalid_characters":  {"Group names cannot contain control or direction-override characters.", "用户组名称不能包含控制字符或文字方向控制符。"},
	"group_name_invalid_utf8":        {"The group name is not valid UTF-8.", "用户组名称不是有效的 UTF-8。"},
	"group_name_required":            {"Group name is required.", "用户组名称不能为空。"},
	"group_name_too_long":            {"Group names are at most {max} characters.", "用户组名称最多 {max} 个字符。"},
	"group_not_found":                {"User group not found.", "未找到该用户组。"},
	"user_group_too_large":           {"A user group has at most {max} members.", "用户组最多 {max} 名成员。"},
	"kind_invalid":                   {"kind must be all, users or channels.", "kind 只能是 all、users 或 channels。"},
	"manager_cycle":                  {"A user cannot report to themselves, directly or through others.", "用户不能直接或间接向自己汇报。"},
	"manager_invalid":                {"A manager must be an active member of the organisation.", "上级必须是本组织的在职成员。"},
	"manager_not_found":              {"The manager was not found.", "未找到该上级。"},
	"phone_invalid":                  {"Phone numbers use digits, spaces, '+', '-', '(' and ')'.", "电话号码只能包含数字、空格、“+”“-”“(”“)”。"},
	"phone_invalid_characters":       {"Phone numbers use digits, spaces, '+', '-', '(' and ')'.", "电话号码只能包含数字、空格、“+”“-”“(”“)”。"},
	"phone_invalid_utf8":             {"The phone number is not valid UTF-8.", "电话号码不是有效的 UTF-8。"},
	"phone_too_long":                 {"Phone numbers are at most {max} characters.", "电话号码最多 {max} 个字符。"},
	"query_required":                 {"Type something to search for.", "请输入搜索内容。"},
	"title_invalid_characters":       {"Titles cannot contain control or direction-override characters.", "职务不能包含控制字符或文字方向控制符。"},
	"title_invalid_utf8":             {"The title is not valid UTF-8.", "职务不是有效的 UTF-8。"},
	"title_too_long":                 {"Titles are at most {max} characters.", "职务最多 {max} 个字符。"},

	// Channels.
	"channel_not_found":               {"Channel not found.", "未找到该频道。"},
	"channel_name_taken":              {"A channel with this name already exists.", "已存在同名频道。"},
	"channel_name_invalid":            {"Channel names cannot contain #, @ or line breaks.", "频道名称不能包含 #、@ 或换行。"},
	"channel_kind_invalid":            {"A channel is public or private.", "频道类型必须是公开或私有。"},
	"channel_archived":                {"This channel is archived.", "该频道已归档。"},
	"channel_private":                 {"This channel is private; ask a member to invite you.", "这是私有频道，请联系成员邀请你加入。"},
	"channel_admin_required":          {"Only channel admins can do that.", "只有频道管理员可以执行此操作。"},
	"channel_read_only":               {"You can read this channel but not post in it.", "你只能阅读此频道，不能发言。"},
	"not_a_member":                    {"You are not a member of this channel.", "你不是该频道的成员。"},
	"member_not_found":                {"That user is not a member of this channel.", "该用户不是此频道的成员。"},
	"guest_public_channel":            {"Guests can only join private channels and direct messages.", "访客只能加入私有频道和私信。"},
	"channel_owner_required":          {"Only a channel owner or an organisation admin can change a channel owner.", "只有频道所有者或组织管理员可以更改频道所有者。"},
	"guest_not_allowed":               {"Guests cannot do that.", "访客无法执行此操作。"},
	"invite_not_allowed":              {"You cannot invite people to this channel.", "你不能邀请他人加入此频道。"},
	"dm_needs_another_user":           {"Choose at least one other person.", "请至少选择一位其他成员。"},
	"group_too_large":                 {"Group messages have at most {max} people.", "群聊最多 {max} 人。"},
	"dm_cannot_be_left":               {"You cannot leave a direct message.", "不能退出单聊。"},
	"dm_cannot_be_renamed":            {"Direct messages have no name.", "单聊和群聊没有名称。"},
	"dm_cannot_be_archived":           {"Direct messages cannot be archived.", "单聊和群聊不能归档。"},
	"dm_members_fixed":                {"Start a new group message to add people.", "请发起新的群聊来添加成员。"},
	"dm_exists":                       {"This conversation already exists.", "该会话已存在。"},
	"too_many_users":                  {"At most {max} people at a time.", "一次最多 {max} 人。"},
	"user_ids_required":               {"Choose at least one person.", "请至少选择一人。"},
	"star_order_invalid":              {"Invalid star order.", "星标排序无效。"},
	"channel_name_required":           {"Channel name is required.", "频道名称不能为空。"},
	"channel_name_too_long":           {"Channel names are at most {max} characters.", "频道名称最多 {max} 个字符。"},
	"channel_name_invalid_utf8":       {"The channel name is not valid UTF-8.", "频道名称不是有效的 UTF-8。"},
	"channel_name_invalid_characters": {"Channel names cannot contain control or direction-override characters.", "频道名称不能包含控制字符或文字方向控制符。"},
	"topic_too_long":                  {"Topics are at most {max} characters.", "主题最多 {max} 个字符。"},
	"topic_invalid_utf8":              {"The topic is not valid UTF-8.", "主题不是有效的 UTF-8。"},
	"topic_invalid_characters":        {"Topics cannot contain control or direction-override characters.", "主题不能包含控制字符或文字方向控制符。"},
	"purpose_too_long":                {"Purposes are at most {max} characters.", "用途说明最多 {max} 个字符。"},
	"purpose_invalid_utf8":            {"The purpose is not valid UTF-8.", "用途说明不是有效的 UTF-8。"},
	"purpose_invalid_characters":      {"The purpose cannot contain control or direction-override characters.", "用途说明不能包含控制字符或文字方向控制符。"},
	"display_name_required":           {"Display name is required.", "显示名称不能为空。"},
	"display_name_too_long":           {"Display names are at most {max} characters.", "显示名称最多 {max} 个字符。"},
	"display_name_invalid_utf8":       {"The display name is not valid UTF-8.", "显示名称不是有效的 UTF-8。"},
	"display_name_invalid_characters": {"Display names cannot contain control or direction-override characters.", "显示名称不能包含控制字符或文字方向控制符。"},
	"org_name_required":               {"Organisation name is required.", "组织名称不能为空。"},
	"org_name_too_long":               {"Organisation names are at most {max} characters.", "组织名称最多 {max} 个字符。"},
	"org_name_invalid_utf8":           {"The organisation name is not valid UTF-8.", "组织名称不是有效的 UTF-8。"},
	"org_name_invalid_characters":     {"Organisation names cannot contain control or direction-override characters.", "组织名称不能包含控制字符或文字方向控制符。"},
	"status_text_too_long":            {"Status text is at most {max} characters.", "状态最多 {max} 个字符。"},
	"status_text_invalid_utf8":        {"The status text is not valid UTF-8.", "状态不是有效的 UTF-8。"},
	"status_text_invalid_characters":  {"Status text cannot contain control or direction-override characters.", "状态不能包含控制字符或文字方向控制符。"},
	"avatar_url_too_long":             {"The avatar URL is too long.", "头像地址过长。"},
	"avatar_url_invalid_utf8":         {"The avatar URL is not valid.", "头像地址无效。"},
	"avatar_url_invalid_characters":   {"The avatar URL is not valid.", "头像地址无效。"},

	// Messages.
	"message_not_found":              {"Message not found.", "未找到该消息。"},
	"message_too_long":               {"Messages can be at most {max} characters.", "消息最多 {max} 个字符。"},
	"text_required":                  {"The message is empty.", "消息内容不能为空。"},
	"text_invalid_utf8":              {"The message is not valid UTF-8.", "消息不是有效的 UTF-8。"},
	"text_invalid_characters":        {"The message contains control characters.", "消息包含控制字符。"},
	"client_id_required":             {"client_id is required.", "client_id 不能为空。"},
	"client_id_too_long":             {"client_id is at most {max} characters.", "client_id 最多 {max} 个字符。"},
	"client_id_invalid":              {"client_id may use letters, digits, '.', '_', ':' and '-'.", "client_id 只能包含字母、数字、“.”“_”“:”和“-”。"},
	"client_id_taken":                {"This client_id was already used.", "该 client_id 已被使用。"},
	"root_id_invalid":                {"Invalid thread root.", "话题根消息无效。"},
	"root_not_found":                 {"The thread was not found in this channel.", "在此频道中未找到该话题。"},
	"reply_to_reply":                 {"Reply to the thread's first message.", "请回复话题的第一条消息。"},
	"root_deleted":                   {"This thread's first message was deleted.", "该话题的第一条消息已被删除。"},
	"not_a_thread_root":              {"This message does not start a thread.", "该消息不是话题的第一条消息。"},
	"not_author":                     {"Only the author can do that.", "只有发送者可以执行此操作。"},
	"message_deleted":                {"This message was deleted or recalled.", "该消息已被删除或撤回。"},
	"recall_window_passed":           {"Messages can only be recalled within {seconds} seconds of sending.", "消息只能在发送后 {seconds} 秒内撤回。"},
	"emoji_invalid":                  {"That is not an emoji.", "这不是有效的表情。"},
	"too_many_reactions":             {"A message can have at most {max} different reactions.", "一条消息最多有 {max} 种表情回应。"},
	"seq_invalid":                    {"Invalid message position.", "消息位置无效。"},
	"channel_too_large_for_receipts": {"Read receipts are shown for channels of up to {max} members.", "成员不超过 {max} 人的频道才显示已读回执。"},

	// Single sign-on and provisioning (internal/sso).
	"sso_provider_not_found":           {"No such sign-on provider.", "没有该单点登录提供方。"},
	"sso_kind_invalid":                 {"The provider kind must be oidc, saml or ldap.", "提供方类型必须是 oidc、saml 或 ldap。"},
	"sso_kind_unsupported":             {"This provider kind is not supported yet.", "暂不支持该提供方类型。"},
	"sso_kind_immutable":               {"A provider's kind cannot be changed; create a new provider.", "提供方类型不能修改，请新建提供方。"},
	"sso_kind_mismatch":                {"This action does not apply to this kind of provider.", "该操作不适用于此类提供方。"},
	"provider_name_required":           {"The provider needs a name.", "提供方名称不能为空。"},
	"provider_name_too_long":           {"Provider names are at most {max} characters.", "提供方名称最多 {max} 个字符。"},
	"provider_name_invalid_utf8":       {"The provider name is not valid UTF-8.", "提供方名称不是有效的 UTF-8。"},
	"provider_name_invalid_characters": {"Provider names cannot contain control characters.", "提供方名称不能包含控制字符。"},
	"sso_secret_too_long":              {"The secret is too long.", "密钥过长。"},
	"sso_role_invalid":                 {"Mapped roles must be admin, member or guest.", "映射的角色必须是 admin、member 或 guest。"},
	"sso_too_many_rules":               {"At most 200 mapping rules.", "映射规则最多 200 条。"},
	"sso_department_rule_invalid":      {"Each department rule needs a group and a department.", "每条部门规则需要一个组和一个部门。"},
	"sso_department_unknown":           {"A department rule names department {department}, which does not exist (it may have been deleted): remove or change that rule.", "部门规则引用的部门 {department} 不存在（可能已被删除）：请删除或修改该规则。"},
	"sso_rule_invalid":                 {"Each mapping rule needs a group and a role of admin, member or guest.", "每条映射规则需要一个组和 admin、member 或 guest 角色。"},
	"sso_issuer_invalid":               {"The issuer must be an http(s) URL.", "Issuer 必须是 http(s) 地址。"},
	"sso_client_id_invalid":            {"The client id is required.", "Client ID 不能为空。"},
	"sso_scope_invalid":                {"Scopes are single words.", "Scope 必须是单个词。"},
	"sso_ldap_url_invalid":             {"The LDAP URL must start with ldap:// or ldaps://.", "LDAP 地址必须以 ldap:// 或 ldaps:// 开头。"},
	"sso_ldap_dn_invalid":              {"The base DN is required (and DNs are at most 1024 characters).", "Base DN 不能为空（DN 最多 1024 个字符）。"},
	"sso_ldap_filter_invalid":          {"The user filter must be an LDAP filter in parentheses.", "用户过滤器必须是括号括起的 LDAP 过滤器。"},
	"sso_ldap_attribute_invalid":       {"Attribute names are letters, digits and '-'.", "属性名只能包含字母、数字和 “-”。"},
	"sso_sync_interval_invalid":        {"The sync interval is 0 (off) or between 60 seconds and 7 days.", "同步间隔必须为 0（关闭）或 60 秒到 7 天之间。"},
	"sso_provider_unreachable":         {"The identity provider could not be reached or refused our request.", "无法连接身份提供方，或其拒绝了请求。"},
	"sso_sync_empty":                   {"The directory returned no users; check the base DN and filter. Nobody was deactivated.", "目录未返回任何用户，请检查 Base DN 和过滤器。没有停用任何用户。"},
	"sso_denied":                       {"The identity provider did not sign you in.", "身份提供方未允许登录。"},
	"sso_callback_invalid":             {"The sign-in response is incomplete.", "登录回调参数不完整。"},
	"sso_state_mismatch":               {"This sign-in was not started in this browser, or has expired; please start again.", "此次登录不是在本浏览器发起的，或已过期，请重新登录。"},
	"sso_state_unknown":                {"This sign-in is unknown or was already used.", "此次登录未知或已被使用。"},
	"sso_exchange_failed":              {"The identity provider refused to complete the sign-in.", "身份提供方拒绝完成登录。"},
	"sso_token_invalid":                {"The identity provider's token is not valid for this server.", "身份提供方的令牌对本服务器无效。"},
	"sso_token_expired":                {"The identity provider's token has expired; please sign in again.", "身份提供方的令牌已过期，请重新登录。"},
	"sso_token_too_large":              {"The identity provider's token is too large.", "身份提供方的令牌过大。"},
	"sso_nonce_mismatch":               {"The identity provider's token does not belong to this sign-in.", "身份提供方的令牌不属于此次登录。"},
	"sso_userinfo_failed":              {"Could not read your profile from the identity provider.", "无法从身份提供方读取用户资料。"},
	"sso_subject_missing":              {"The identity provider did not say who you are.", "身份提供方未提供用户标识。"},
	"sso_email_missing":                {"The identity provider gave no usable e-mail address.", "身份提供方未提供可用的邮箱地址。"},
	"sso_saml_metadata_invalid":        {"The identity provider's SAML metadata is missing or not valid.", "身份提供方的 SAML 元数据缺失或无效。"},
	"sso_saml_attribute_invalid":       {"SAML attribute names are at most 256 characters.", "SAML 属性名最多 256 个字符。"},
	"sso_assertion_invalid":            {"The identity provider's SAML response is not valid for this server.", "身份提供方的 SAML 响应对本服务器无效。"},
	"sso_assertion_replayed":           {"This SAML response was already used.", "该 SAML 响应已被使用过。"},
	"scim_token_not_found":             {"No such SCIM token.", "没有该 SCIM 令牌。"},
	"token_name_invalid_utf8":          {"The token name is not valid UTF-8.", "令牌名称不是有效的 UTF-8。"},
	"sso_email_taken":                  {"An account with this e-mail already exists and cannot be linked to this provider.", "该邮箱已被其他账号使用，无法关联到此提供方。"},
	// Files.
	"file_not_found":           {"File not found.", "未找到该文件。"},
	"preview_image_not_found":  {"Link preview image not found.", "未找到该链接预览图片。"},
	"file_no_thumbnail":        {"This file has no thumbnail.", "该文件没有缩略图。"},
	"file_too_large":           {"Files can be at most {max}.", "文件不能超过 {max}。"},
	"file_quota_exceeded":      {"Your files would take more than your quota of {max} (you use {used}); delete some first.", "上传后将超过你的 {max} 文件配额（已用 {used}），请先删除部分文件。"},
	"file_name_required":       {"The file has no name.", "文件缺少名称。"},
	"file_name_too_long":       {"File names are at most {max} characters.", "文件名最多 {max} 个字符。"},
	"file_name_invalid":        {"File names cannot contain /, \\, control or direction-override characters, or be . or ..", "文件名不能包含 /、\\、控制字符或文字方向控制符，也不能是 . 或 ..。"},
	"file_type_mismatch":       {"The file's content does not match its .{ext} extension.", "文件内容与其扩展名 .{ext} 不符。"},
	"image_invalid":            {"The image is damaged or not a supported format.", "图片已损坏或格式不受支持。"},
	"image_too_large":          {"Images can be at most {max} megapixels.", "图片不能超过 {max} 百万像素。"},
	"image_too_many_frames":    {"Animated images can have at most {max} frames.", "动图最多 {max} 帧。"},
	"upload_incomplete":        {"The upload was interrupted; try again.", "上传中断，请重试。"},
	"multipart_required":       {"Send the file as multipart/form-data.", "请以 multipart/form-data 格式上传文件。"},
	"file_part_missing":        {"The upload has no part named \"file\".", "上传内容缺少名为“file”的部分。"},
	"too_many_files":           {"A message can carry at most {max} files.", "一条消息最多附带 {max} 个文件。"},
	"file_id_invalid":          {"Invalid file id.", "文件 ID 无效。"},
	"file_id_duplicate":        {"The same file is listed twice.", "同一文件被重复列出。"},
	"not_uploader":             {"Only the person who uploaded the file can do that.", "只有上传者可以执行此操作。"},
	"file_already_attached":    {"This file is already attached to a message.", "该文件已附加到其他消息。"},
	"file_max_bytes_invalid":   {"The file size limit must be between 1 byte and {max} bytes.", "文件大小上限必须在 1 字节到 {max} 字节之间。"},
	"file_quota_bytes_invalid": {"The file quota must be zero or more bytes.", "文件配额必须大于或等于 0 字节。"},
	"blob_not_found":           {"The file's content is missing from storage.", "存储中缺少该文件的内容。"},
	"blob_key_invalid":         {"Invalid storage key.", "存储键无效。"},
	"blob_size_mismatch":       {"The upload's size does not match.", "上传内容的大小不一致。"},

	// Realtime stream client messages.
	"frame_too_large":    {"The stream message is too large.", "实时连接消息过大。"},
	"not_an_object":      {"A stream message must be a JSON object.", "实时连接消息必须是 JSON 对象。"},
	"missing_type":       {"The stream message has no type.", "实时连接消息缺少 type 字段。"},
	"invalid_channel_id": {"The channel id is not valid.", "频道 ID 无效。"},
	"invalid_status":     {"The presence status must be online, away or dnd.", "在线状态必须是 online、away 或 dnd。"},
}
