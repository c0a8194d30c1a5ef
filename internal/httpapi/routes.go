package httpapi

import "net/http"

// route is one entry of the route table.
type route struct {
	Method  string
	Pattern string
	handler http.Handler
}

// routes lists every route of the API on one screen. A test checks this
// table against the OpenAPI document in both directions.
func (a *API) routes() []route {
	return []route{
		{"GET", "/healthz", a.public(a.healthz)},
		{"GET", "/readyz", a.public(a.readyz)},
		{"GET", "/api/v1/openapi.json", a.public(a.openapi)},

		{"GET", "/api/v1/setup", a.public(a.setupStatus)},
		{"POST", "/api/v1/setup", a.public(a.setup)},
		{"POST", "/api/v1/auth/login", a.public(a.login)},
		{"POST", "/api/v1/auth/login/2fa", a.public(a.loginSecondFactor)},
		{"POST", "/api/v1/auth/logout", a.guarded(a.logout, admitEnrol)},
		{"GET", "/api/v1/auth/sso/providers", a.public(a.ssoLoginOptions)},
		{"GET", "/api/v1/auth/sso/{id}/start", a.public(a.ssoStart)},
		{"GET", "/api/v1/auth/sso/{id}/callback", a.public(a.ssoCallback)},
		{"POST", "/api/v1/auth/ldap/login", a.public(a.ldapLogin)},
		{"GET", "/api/v1/auth/saml/{id}/metadata", a.public(a.samlMetadata)},
		{"GET", "/api/v1/auth/saml/{id}/start", a.public(a.samlStart)},
		{"POST", "/api/v1/auth/saml/{id}/acs", a.public(a.samlACS)},

		{"GET", "/api/v1/sso/providers", a.authed(a.listSSOProviders)},
		{"POST", "/api/v1/sso/providers", a.authed(a.createSSOProvider)},
		{"GET", "/api/v1/sso/providers/{id}", a.authed(a.getSSOProvider)},
		{"PATCH", "/api/v1/sso/providers/{id}", a.authed(a.patchSSOProvider)},
		{"DELETE", "/api/v1/sso/providers/{id}", a.authed(a.deleteSSOProvider)},
		{"POST", "/api/v1/sso/providers/{id}/test", a.authed(a.testSSOProvider)},
		{"POST", "/api/v1/sso/providers/{id}/sync", a.authed(a.syncSSOProvider)},
		{"GET", "/api/v1/sso/scim-tokens", a.authed(a.listSCIMTokens)},
		{"POST", "/api/v1/sso/scim-tokens", a.authed(a.createSCIMToken)},
		{"DELETE", "/api/v1/sso/scim-tokens/{id}", a.authed(a.deleteSCIMToken)},

		{"GET", "/api/v1/org", a.authed(a.getOrg)},
		{"PATCH", "/api/v1/org", a.authed(a.patchOrg)},
		{"GET", "/api/v1/org/security-policy", a.guarded(a.getSecurityPolicy, admitEnrol)},
		{"PATCH", "/api/v1/org/security-policy", a.authed(a.patchSecurityPolicy)},

		{"GET", "/api/v1/users/me", a.guarded(a.getMe, admitEnrol)},
		{"POST", "/api/v1/users/me/password", a.accountSecurity(a.changePassword)},
		{"GET", "/api/v1/users/me/2fa", a.accountSecurity(a.getTwoFactor)},
		{"POST", "/api/v1/users/me/2fa/setup", a.accountSecurity(a.setupTwoFactor)},
		{"POST", "/api/v1/users/me/2fa/enable", a.accountSecurity(a.enableTwoFactor)},
		{"POST", "/api/v1/users/me/2fa/disable", a.accountSecurity(a.disableTwoFactor)},
		{"POST", "/api/v1/users/me/2fa/recovery-codes", a.accountSecurity(a.newRecoveryCodes)},
		{"GET", "/api/v1/users/me/sessions", a.accountSecurity(a.listSessions)},
		{"DELETE", "/api/v1/users/me/sessions/{id}", a.accountSecurity(a.revokeSession)},
		{"GET", "/api/v1/users/me/tokens", a.accountSecurity(a.listTokens)},
		{"POST", "/api/v1/users/me/tokens", a.accountSecurity(a.createToken)},
		{"DELETE", "/api/v1/users/me/tokens/{id}", a.accountSecurity(a.revokeToken)},
		{"PATCH", "/api/v1/users/me", a.authed(a.patchMe)},
		{"GET", "/api/v1/users", a.authed(a.listUsers)},
		{"POST", "/api/v1/users", a.authed(a.createUser)},
		{"GET", "/api/v1/users/{id}", a.authed(a.getUser)},
		{"POST", "/api/v1/users/{id}/deactivate", a.authed(a.deactivateUser)},
		{"POST", "/api/v1/users/{id}/reactivate", a.authed(a.reactivateUser)},
		{"POST", "/api/v1/users/{id}/2fa/reset", a.authed(a.resetTwoFactor)},
		{"PUT", "/api/v1/users/{id}/role", a.authed(a.setUserRole)},
		{"GET", "/api/v1/presence", a.authed(a.presence)},
		{"GET", "/api/v1/invitations", a.authed(a.listInvitations)},
		{"POST", "/api/v1/invitations", a.authed(a.createInvitation)},
		{"DELETE", "/api/v1/invitations/{id}", a.authed(a.revokeInvitation)},
		{"GET", "/api/v1/invites/{token}", a.public(a.previewInvitation)},
		{"POST", "/api/v1/invites/{token}/accept", a.public(a.acceptInvitation)},

		{"GET", "/api/v1/audit", a.authed(a.listAudit)},

		{"GET", "/api/v1/departments", a.authed(a.listDepartments)},
		{"POST", "/api/v1/departments", a.authed(a.createDepartment)},
		{"GET", "/api/v1/departments/{id}", a.authed(a.getDepartment)},
		{"PATCH", "/api/v1/departments/{id}", a.authed(a.patchDepartment)},
		{"DELETE", "/api/v1/departments/{id}", a.authed(a.deleteDepartment)},
		{"POST", "/api/v1/departments/{id}/move", a.authed(a.moveDepartment)},
		{"GET", "/api/v1/departments/{id}/members", a.authed(a.listDepartmentMembers)},
		{"PUT", "/api/v1/departments/{id}/members/{user_id}", a.authed(a.putDepartmentMember)},
		{"DELETE", "/api/v1/departments/{id}/members/{user_id}", a.authed(a.deleteDepartmentMember)},
		{"PUT", "/api/v1/departments/{id}/admins/{user_id}", a.authed(a.putDepartmentAdmin)},
		{"DELETE", "/api/v1/departments/{id}/admins/{user_id}", a.authed(a.deleteDepartmentAdmin)},
		{"GET", "/api/v1/directory/search", a.authed(a.searchDirectory)},
		{"GET", "/api/v1/users/{id}/profile", a.authed(a.getProfile)},
		{"PATCH", "/api/v1/users/{id}/profile", a.authed(a.patchProfile)},
		{"GET", "/api/v1/profile-fields", a.authed(a.listProfileFields)},
		{"POST", "/api/v1/profile-fields", a.authed(a.createProfileField)},
		{"PATCH", "/api/v1/profile-fields/{id}", a.authed(a.patchProfileField)},
		{"DELETE", "/api/v1/profile-fields/{id}", a.authed(a.deleteProfileField)},
		{"GET", "/api/v1/org/permissions", a.authed(a.getPermissions)},
		{"PATCH", "/api/v1/org/permissions", a.authed(a.patchPermissions)},
		{"GET", "/api/v1/groups", a.authed(a.listGroups)},
		{"POST", "/api/v1/groups", a.authed(a.createGroup)},
		{"GET", "/api/v1/groups/{id}", a.authed(a.getGroup)},
		{"PATCH", "/api/v1/groups/{id}", a.authed(a.patchGroup)},
		{"DELETE", "/api/v1/groups/{id}", a.authed(a.deleteGroup)},
		{"PUT", "/api/v1/groups/{id}/members/{user_id}", a.authed(a.putGroupMember)},
		{"DELETE", "/api/v1/groups/{id}/members/{user_id}", a.authed(a.deleteGroupMember)},

		{"GET", "/api/v1/channels", a.authed(a.listChannels)},
		{"POST", "/api/v1/channels", a.authed(a.createChannel)},
		{"GET", "/api/v1/channels/browse", a.authed(a.browseChannels)},
		{"POST", "/api/v1/dms", a.authed(a.openDM)},
		{"GET", "/api/v1/channels/{id}", a.authed(a.getChannel)},
		{"PATCH", "/api/v1/channels/{id}", a.authed(a.patchChannel)},
		{"POST", "/api/v1/channels/{id}/archive", a.authed(a.archiveChannel)},
		{"POST", "/api/v1/channels/{id}/unarchive", a.authed(a.unarchiveChannel)},
		{"POST", "/api/v1/channels/{id}/join", a.authed(a.joinChannel)},
		{"POST", "/api/v1/channels/{id}/leave", a.authed(a.leaveChannel)},
		{"PUT", "/api/v1/channels/{id}/department", a.authed(a.bindDepartment)},
		{"GET", "/api/v1/channels/{id}/members", a.authed(a.listMembers)},
		{"POST", "/api/v1/channels/{id}/members", a.authed(a.inviteMembers)},
		{"DELETE", "/api/v1/channels/{id}/members/{user_id}", a.authed(a.removeMember)},
		{"PATCH", "/api/v1/channels/{id}/members/{user_id}", a.authed(a.patchMember)},
		{"PUT", "/api/v1/channels/{id}/preferences", a.authed(a.putPreferences)},
		{"POST", "/api/v1/channels/{id}/read", a.authed(a.markRead)},
		{"POST", "/api/v1/channels/{id}/unread", a.authed(a.markUnread)},
		{"GET", "/api/v1/channels/{id}/pins", a.authed(a.listPins)},
		{"GET", "/api/v1/channels/{id}/messages", a.authed(a.history)},
		{"POST", "/api/v1/channels/{id}/messages", a.authed(a.postMessage)},
		{"GET", "/api/v1/channels/{id}/files", a.authed(a.channelFiles)},
		{"POST", "/api/v1/channels/{id}/files", a.authed(a.uploadFile)},

		{"GET", "/api/v1/files/{id}", a.authed(a.getFile)},
		{"DELETE", "/api/v1/files/{id}", a.authed(a.deleteFile)},
		{"GET", "/api/v1/files/{id}/content", a.authed(a.downloadFile)},
		{"GET", "/api/v1/files/{id}/thumbnail", a.authed(a.fileThumbnail)},
		{"GET", "/api/v1/link-previews/images/{name}", a.authed(a.previewImage)},

		{"GET", "/api/v1/messages/{id}", a.authed(a.getMessage)},
		{"PATCH", "/api/v1/messages/{id}", a.authed(a.editMessage)},
		{"DELETE", "/api/v1/messages/{id}", a.authed(a.deleteMessage)},
		{"POST", "/api/v1/messages/{id}/recall", a.authed(a.recallMessage)},
		{"GET", "/api/v1/messages/{id}/history", a.authed(a.messageEdits)},
		{"GET", "/api/v1/messages/{id}/replies", a.authed(a.replies)},
		{"PUT", "/api/v1/messages/{id}/reactions/{emoji}", a.authed(a.addReaction)},
		{"DELETE", "/api/v1/messages/{id}/reactions/{emoji}", a.authed(a.removeReaction)},
		{"POST", "/api/v1/messages/{id}/pin", a.authed(a.pin)},
		{"DELETE", "/api/v1/messages/{id}/pin", a.authed(a.unpin)},
		{"GET", "/api/v1/messages/{id}/receipts", a.authed(a.receipts)},

		{"GET", "/api/v1/search", a.authed(a.searchMessages)},
		{"GET", "/api/v1/search/files", a.authed(a.searchFiles)},

		{"GET", "/api/v1/stream", a.authed(a.stream)},
	}
}

// Routes returns the method and pattern of every route, for tests and docs.
func Routes() [][2]string {
	a := &API{}
	var out [][2]string
	for _, r := range a.routes() {
		out = append(out, [2]string{r.Method, r.Pattern})
	}
	return out
}
