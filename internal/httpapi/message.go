package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/internal/chat"
)

// HistoryPage is a window of a channel's history.
type HistoryPage struct {
	Messages      []Message `json:"messages"`
	HasMoreBefore bool      `json:"has_more_before"`
	HasMoreAfter  bool      `json:"has_more_after"`
}

func (a *API) history(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p chat.Page
	if p.Limit, err = pageLimit(r); err != nil {
		return err
	}
	if p.Before, err = queryInt(r, "before", "cursor_invalid"); err != nil {
		return err
	}
	if p.After, err = queryInt(r, "after", "cursor_invalid"); err != nil {
		return err
	}
	if p.Around, err = queryInt(r, "around", "cursor_invalid"); err != nil {
		return err
	}
	p.HasAfter = r.URL.Query().Has("after")
	h, err := a.Chat.History(r.Context(), c.actor, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, HistoryPage{Messages: wireMessages(h.Messages), HasMoreBefore: h.HasMoreBefore,
		HasMoreAfter: h.HasMoreAfter})
	return nil
}

type newMessage struct {
	ClientID      string  `json:"client_id"`
	Text          string  `json:"text"`
	RootID        int64   `json:"root_id"`
	AlsoInChannel bool    `json:"also_in_channel"`
	FileIDs       []int64 `json:"file_ids"`
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req newMessage
	if err := decode(r, &req); err != nil {
		return err
	}
	m, created, err := a.Chat.Post(r.Context(), c.actor, id, chat.NewMessage{ClientID: req.ClientID, Text: req.Text,
		Root: req.RootID, AlsoInChannel: req.AlsoInChannel, Files: req.FileIDs})
	if err != nil {
		return err
	}
	st := http.StatusCreated
	if !created {
		st = http.StatusOK
	}
	writeJSON(w, st, wireMessage(m))
	return nil
}

func (a *API) getMessage(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := a.Chat.Message(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireMessage(m))
	return nil
}

type editRequest struct {
	Text string `json:"text"`
}

func (a *API) editMessage(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req editRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := a.Chat.Edit(r.Context(), c.actor, id, req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireMessage(m))
	return nil
}

func (a *API) deleteMessage(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Chat.Delete(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) recallMessage(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := a.Chat.Recall(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireMessage(m))
	return nil
}

// EditList is a message's edit history.
type EditList struct {
	Edits []EditEntry `json:"edits"`
}

// EditEntry is one previous text of a message.
type EditEntry struct {
	Text     string `json:"text"`
	EditedAt Time   `json:"edited_at"`
}

func (a *API) messageEdits(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	es, err := a.Chat.Edits(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	resp := EditList{Edits: make([]EditEntry, len(es))}
	for i, e := range es {
		resp.Edits[i] = EditEntry{Text: e.Text, EditedAt: Time(e.EditedAt)}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// ReplyPage is a page of a thread's replies.
type ReplyPage struct {
	Messages     []Message `json:"messages"`
	HasMoreAfter bool      `json:"has_more_after"`
}

func (a *API) replies(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after", "cursor_invalid")
	if err != nil {
		return err
	}
	ms, more, err := a.Chat.Replies(r.Context(), c.actor, id, after, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ReplyPage{Messages: wireMessages(ms), HasMoreAfter: more})
	return nil
}

func (a *API) react(w http.ResponseWriter, r *http.Request, c call, on bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	emoji := r.PathValue("emoji")
	m, err := a.Chat.React(r.Context(), c.actor, id, emoji, on)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireMessage(m))
	return nil
}

func (a *API) addReaction(w http.ResponseWriter, r *http.Request, c call) error {
	return a.react(w, r, c, true)
}

func (a *API) removeReaction(w http.ResponseWriter, r *http.Request, c call) error {
	return a.react(w, r, c, false)
}

func (a *API) setPin(w http.ResponseWriter, r *http.Request, c call, on bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := a.Chat.Pin(r.Context(), c.actor, id, on)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireMessage(m))
	return nil
}

func (a *API) pin(w http.ResponseWriter, r *http.Request, c call) error {
	return a.setPin(w, r, c, true)
}
func (a *API) unpin(w http.ResponseWriter, r *http.Request, c call) error {
	return a.setPin(w, r, c, false)
}

// ReceiptList says who has read a message.
type ReceiptList struct {
	Read   []int64 `json:"read"`
	Unread []int64 `json:"unread"`
}

func (a *API) receipts(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rc, err := a.Chat.Receipts(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ReceiptList{Read: rc.Read, Unread: rc.Unread})
	return nil
}
