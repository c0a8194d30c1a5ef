package httpapi

import (
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
)

// ChannelList is a list of channels.
type ChannelList struct {
	Channels   []Channel `json:"channels"`
	NextCursor string    `json:"next_cursor"`
}

func (a *API) listChannels(w http.ResponseWriter, r *http.Request, c call) error {
	vs, err := a.Chat.ListChannels(r.Context(), c.actor)
	if err != nil {
		return err
	}
	resp := ChannelList{Channels: make([]Channel, len(vs))}
	for i, v := range vs {
		resp.Channels[i] = wireChannel(v.Channel, v.Membership)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) browseChannels(w http.ResponseWriter, r *http.Request, c call) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "cursor", "cursor_invalid")
	if err != nil {
		return err
	}
	cs, err := a.Chat.Browse(r.Context(), c.actor, r.URL.Query().Get("q"), after, limit)
	if err != nil {
		return err
	}
	resp := ChannelList{Channels: make([]Channel, len(cs))}
	for i, ch := range cs {
		resp.Channels[i] = wireChannel(ch, nil)
	}
	if len(cs) == limit {
		resp.NextCursor = strconv.FormatInt(cs[len(cs)-1].ID, 10)
	} else {
		resp.NextCursor = ""
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type newChannel struct {
	Name         string  `json:"name"`
	Kind         string  `json:"kind"`
	Topic        string  `json:"topic"`
	Purpose      string  `json:"purpose"`
	Announcement bool    `json:"announcement"`
	UserIDs      []int64 `json:"user_ids"`
}

func (a *API) createChannel(w http.ResponseWriter, r *http.Request, c call) error {
	var req newChannel
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Kind == "" {
		req.Kind = string(chat.KindPublic)
	}
	v, err := a.Chat.CreateChannel(r.Context(), c.actor, chat.NewChannel{Name: req.Name, Kind: chat.Kind(req.Kind),
		Topic: req.Topic, Purpose: req.Purpose, Announcement: req.Announcement, Users: req.UserIDs})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wireChannel(v.Channel, v.Membership))
	return nil
}

type userIDs struct {
	UserIDs []int64 `json:"user_ids"`
}

func (a *API) openDM(w http.ResponseWriter, r *http.Request, c call) error {
	var req userIDs
	if err := decode(r, &req); err != nil {
		return err
	}
	v, err := a.Chat.OpenDM(r.Context(), c.actor, req.UserIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireChannel(v.Channel, v.Membership))
	return nil
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.Chat.Channel(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireChannel(v.Channel, v.Membership))
	return nil
}

type channelPatch struct {
	Name         *string `json:"name"`
	Topic        *string `json:"topic"`
	Purpose      *string `json:"purpose"`
	Announcement *bool   `json:"announcement"`
}

func (a *API) patchChannel(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req channelPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	ch, err := a.Chat.UpdateChannel(r.Context(), c.actor, id, chat.ChannelPatch{Name: req.Name, Topic: req.Topic,
		Purpose: req.Purpose, Announcement: req.Announcement})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireChannel(ch, nil))
	return nil
}

func (a *API) setArchived(w http.ResponseWriter, r *http.Request, c call, archived bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ch, err := a.Chat.SetArchived(r.Context(), c.actor, id, archived)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireChannel(ch, nil))
	return nil
}

func (a *API) archiveChannel(w http.ResponseWriter, r *http.Request, c call) error {
	return a.setArchived(w, r, c, true)
}

func (a *API) unarchiveChannel(w http.ResponseWriter, r *http.Request, c call) error {
	return a.setArchived(w, r, c, false)
}

func (a *API) joinChannel(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	v, err := a.Chat.Join(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireChannel(v.Channel, v.Membership))
	return nil
}

func (a *API) leaveChannel(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Chat.Leave(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// MemberList lists a channel's members.
type MemberList struct {
	Members []Member `json:"members"`
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ms, err := a.Chat.Members(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	resp := MemberList{Members: make([]Member, len(ms))}
	for i, m := range ms {
		resp.Members[i] = Member{UserID: m.User, Role: string(m.Role), LastReadSeq: m.LastReadSeq}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// InviteResult says how many users were added.
type InviteResult struct {
	Added int `json:"added"`
}

func (a *API) inviteMembers(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req userIDs
	if err := decode(r, &req); err != nil {
		return err
	}
	n, err := a.Chat.Invite(r.Context(), c.actor, id, req.UserIDs)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, InviteResult{Added: n})
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request, c call) error {
	return userAction(w, r, c, a.Chat.RemoveMember)
}

type memberPatch struct {
	Role string `json:"role"`
}

func (a *API) patchMember(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req memberPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := a.Chat.SetMemberRole(r.Context(), c.actor, id, user, chat.Role(req.Role))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Member{UserID: m.User, Role: string(m.Role), LastReadSeq: m.LastReadSeq})
	return nil
}

type preferences struct {
	Muted     *bool `json:"muted"`
	Starred   *bool `json:"starred"`
	StarOrder *int  `json:"star_order"`
}

func (a *API) putPreferences(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req preferences
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := a.Chat.SetPreferences(r.Context(), c.actor, id, chat.Preferences{Muted: req.Muted, Starred: req.Starred,
		StarOrder: req.StarOrder})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ReadState{ChannelID: id, Membership: wireMembership(m)})
	return nil
}

type seqRequest struct {
	Seq *int64 `json:"seq"`
}

func (a *API) markReadState(w http.ResponseWriter, r *http.Request, c call, unread bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req seqRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Seq == nil {
		return errs.New("httpapi.markRead", errs.Invalid, "seq_invalid")
	}
	var m chat.Member
	if unread {
		m, err = a.Chat.MarkUnread(r.Context(), c.actor, id, *req.Seq)
	} else {
		m, err = a.Chat.MarkRead(r.Context(), c.actor, id, *req.Seq)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ReadState{ChannelID: id, Membership: wireMembership(m)})
	return nil
}

func (a *API) markRead(w http.ResponseWriter, r *http.Request, c call) error {
	return a.markReadState(w, r, c, false)
}

func (a *API) markUnread(w http.ResponseWriter, r *http.Request, c call) error {
	return a.markReadState(w, r, c, true)
}

// MessageList is a list of messages.
type MessageList struct {
	Messages []Message `json:"messages"`
}

func (a *API) listPins(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ms, err := a.Chat.Pins(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, MessageList{Messages: wireMessages(ms)})
	return nil
}
