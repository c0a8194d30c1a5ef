package chat

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// NewMessage is a message to post.
type NewMessage struct {
	ClientID      string // the client's id for this send; a retry with the same id returns the original
	Text          string
	Root          int64 // reply in this thread
	AlsoInChannel bool
	Files         []int64 // ids of files the author uploaded to the channel, to attach (at most MaxFiles)
}

// CleanClientID validates a client message id: 1–64 of [A-Za-z0-9._:-].
func CleanClientID(op, s string) (string, error) {
	if s == "" {
		return "", errs.New(op, errs.Invalid, "client_id_required")
	}
	if len(s) > MaxClientIDLen {
		return "", errs.New(op, errs.Invalid, "client_id_too_long").With("max", MaxClientIDLen)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return "", errs.New(op, errs.Invalid, "client_id_invalid")
		}
	}
	return s, nil
}

// CleanMessageText validates markdown source: valid UTF-8, no control
// characters other than newline and tab, 1 to MaxMessageLen characters.
// Carriage returns are normalised away; nothing is silently truncated.
func CleanMessageText(op, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.New(op, errs.Invalid, "text_invalid_utf8")
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	for _, r := range s {
		if account.IsForbiddenRune(r, true) && r != 0x200E && r != 0x200F && !(r >= 0x202A && r <= 0x202E) && !(r >= 0x2066 && r <= 0x2069) && r != 0x061C {
			return "", errs.New(op, errs.Invalid, "text_invalid_characters")
		}
		if r == '\r' {
			return "", errs.New(op, errs.Invalid, "text_invalid_characters")
		}
	}
	if strings.TrimSpace(s) == "" {
		return "", errs.New(op, errs.Invalid, "text_required")
	}
	if n := utf8.RuneCountInString(s); n > MaxMessageLen {
		return "", errs.New(op, errs.TooLarge, "message_too_long").With("max", MaxMessageLen)
	}
	return s, nil
}

// Post sends a message. It returns the message and whether it was created
// now (false for an idempotent retry of an earlier send with the same
// client id, which returns the original unchanged). The message is durably
// committed before Post returns.
func (s *Service) Post(ctx context.Context, actor account.Actor, channelID int64, in NewMessage) (Message, bool, error) {
	const op = "chat.Post"
	clientID, err := CleanClientID(op, in.ClientID)
	if err != nil {
		return Message{}, false, err
	}
	files, err := cleanFileIDs(op, in.Files)
	if err != nil {
		return Message{}, false, err
	}
	text := ""
	// A message with files may have no text.
	if len(files) == 0 || strings.TrimSpace(in.Text) != "" {
		if text, err = CleanMessageText(op, in.Text); err != nil {
			return Message{}, false, err
		}
	}
	if in.Root < 0 {
		return Message{}, false, errs.New(op, errs.Invalid, "root_id_invalid")
	}
	ments := parseMentions(text)
	var msg Message
	created := false
	key := PostKey{Org: actor.Org, Author: actor.User, Channel: channelID, ClientID: clientID}
	err = s.updatePost(ctx, op, key, func(tx Tx) error {
		// One query for the idempotency check, the channel and the
		// membership: on PostgreSQL each statement is a round trip, and
		// round trips bound the throughput of a commit loop (ADR 0020).
		target, err := tx.PostTarget(ctx, key.Org, key.Author, key.Channel, key.ClientID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err != nil || target.Resent {
			// A retry, or a channel that is not there: the checks in their
			// usual order (the retry wins, wherever it was sent).
			if prev, err := tx.MessageByClientID(ctx, actor.Org, actor.User, clientID); err == nil {
				if prev.Channel != channelID {
					return errs.New(op, errs.Conflict, "client_id_taken")
				}
				msg = prev.Redacted()
				return nil
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
			if err != nil {
				return errs.E(op, errs.Other, "", err)
			}
		}
		ch, mp, err := readableBy(op, actor, target.Channel, target.Member)
		if err != nil {
			return err
		}
		if mp == nil {
			return errs.New(op, errs.Permission, "not_a_member")
		}
		m := *mp
		if err := notArchived(op, ch); err != nil {
			return err
		}
		if !m.CanPost(ch) {
			return errs.New(op, errs.Permission, "channel_read_only")
		}
		if err := s.checkMentionAll(ctx, tx, op, actor, ch, ments); err != nil {
			return err
		}
		var root Message
		if in.Root != 0 {
			if root, err = tx.Message(ctx, actor.Org, in.Root); err != nil || root.Channel != ch.ID {
				return errs.New(op, errs.NotFound, "root_not_found")
			}
			if root.Root != 0 {
				return errs.New(op, errs.Invalid, "reply_to_reply")
			}
			if root.Hidden() {
				return errs.New(op, errs.Conflict, "root_deleted")
			}
		}
		now := s.now()
		msg = Message{Org: actor.Org, Channel: ch.ID, ClientID: clientID, Author: actor.User, Text: text,
			Root: in.Root, AlsoInChannel: in.Root != 0 && in.AlsoInChannel, CreatedAt: now}
		if err := s.resolveMentions(ctx, tx, ch, &msg, ments); err != nil {
			return err
		}
		if msg.MentionChannel && ch.Kind != KindPublic && ch.Kind != KindPrivate {
			msg.MentionChannel = false // @all in a DM is just text
		}
		// Sequence, message and the author's read position (writing implies
		// having read what came before) in one statement.
		if msg, err = tx.InsertPost(ctx, msg); err != nil {
			return err
		}
		created = true
		if len(files) > 0 {
			if msg.Files, err = tx.AttachFiles(ctx, msg, files); err != nil {
				return err
			}
		}
		if err := s.queuePreviews(ctx, tx, msg); err != nil {
			return err
		}
		if len(msg.Mentions) > 0 {
			if err := tx.InsertMentions(ctx, actor.Org, ch.ID, msg.Seq, msg.Mentions); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "message.posted"}, msg); err != nil {
			return err
		}
		if root.ID != 0 {
			root.ReplyCount++
			root.LastReplyAt = now
			if err := tx.UpdateMessage(ctx, root); err != nil {
				return err
			}
			if root, err = tx.Message(ctx, actor.Org, root.ID); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "message.updated"}, root.Redacted()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Message{}, false, err
	}
	return msg, created, nil
}

// cleanFileIDs checks the ids of files to attach: positive, distinct, at
// most MaxFiles.
func cleanFileIDs(op string, ids []int64) ([]int64, error) {
	if len(ids) > MaxFiles {
		return nil, errs.New(op, errs.TooLarge, "too_many_files").With("max", MaxFiles)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return nil, errs.New(op, errs.Invalid, "file_id_invalid")
		}
		if seen[id] {
			return nil, errs.New(op, errs.Invalid, "file_id_duplicate")
		}
		seen[id] = true
	}
	return ids, nil
}

// resolveMentions turns parsed @names into member user ids and @here into the
// members online now.
// checkMentionAll refuses @all, @channel and @here in a channel (not a DM)
// from users the scheme does not allow to notify everyone.
func (s *Service) checkMentionAll(ctx context.Context, tx Tx, op string, actor account.Actor, ch Channel, ments mentions) error {
	if !(ments.channel || ments.here) || ch.Kind.IsDirect() {
		return nil
	}
	sc, err := account.LoadScheme(ctx, tx, actor.Org)
	if err != nil {
		return err
	}
	var admin bool
	if m, err := tx.Member(ctx, ch.ID, actor.User); err == nil {
		admin = m.IsChannelAdmin()
	}
	if !sc.MentionAll.Allows(actor, admin) {
		return errs.New(op, errs.Permission, "mention_all_not_allowed")
	}
	return nil
}

func (s *Service) resolveMentions(ctx context.Context, tx Tx, ch Channel, msg *Message, ments mentions) error {
	msg.MentionChannel = ments.channel
	msg.MentionHere = ments.here
	if len(ments.users) == 0 && !ments.here {
		return nil
	}
	var ids []int64
	if len(ments.users) > 0 {
		us, err := tx.UsersByUsername(ctx, ch.Org, ments.users)
		if err != nil {
			return err
		}
		var candidates []int64
		found := map[string]bool{}
		for _, u := range us {
			found[u.Username] = true
			if u.ID != msg.Author && u.Active {
				candidates = append(candidates, u.ID)
			}
		}
		// Names that are not usernames may be user groups: a group mention
		// expands to its members.
		var groups []string
		for _, n := range ments.users {
			if !found[n] {
				groups = append(groups, n)
			}
		}
		if len(groups) > 0 {
			gm, err := tx.GroupMemberIDs(ctx, ch.Org, groups)
			if err != nil {
				return err
			}
			for _, id := range gm {
				if id != msg.Author {
					candidates = append(candidates, id)
				}
			}
		}
		for _, id := range dedupe(candidates) {
			if _, err := tx.Member(ctx, ch.ID, id); err != nil {
				if errs.Is(err, errs.NotFound) {
					continue // not notified: they cannot read the channel
				}
				return err
			}
			ids = append(ids, id)
		}
	}
	if ments.here && s.presence != nil {
		ms, err := tx.Members(ctx, ch.ID)
		if err != nil {
			return err
		}
		all := make([]int64, 0, len(ms))
		for _, m := range ms {
			if m.User != msg.Author {
				all = append(all, m.User)
			}
		}
		ids = append(ids, s.presence.Online(ch.Org, all)...)
	}
	msg.Mentions = dedupe(ids)
	return nil
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// saveMessage stores a changed message and tells its channel, with hidden
// content redacted from the event.
func (s *Service) saveMessage(ctx context.Context, tx Tx, msg Message, typ string) error {
	if err := tx.UpdateMessage(ctx, msg); err != nil {
		return err
	}
	return s.emit(ctx, tx, event.Event{Org: msg.Org, Channel: msg.Channel, Type: typ}, msg.Redacted())
}

// readable loads a message and checks the actor may read its channel.
func readable(ctx context.Context, r Reader, op string, actor account.Actor, id int64) (Message, Channel, *Member, error) {
	msg, err := r.Message(ctx, actor.Org, id)
	if err != nil {
		return Message{}, Channel{}, nil, errs.E(op, errs.Other, "message_not_found", err)
	}
	ch, m, err := access(ctx, r, op, actor, msg.Channel)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Message{}, Channel{}, nil, errs.New(op, errs.NotFound, "message_not_found")
		}
		return Message{}, Channel{}, nil, err
	}
	return msg, ch, m, nil
}

// Message returns one message the actor may read.
func (s *Service) Message(ctx context.Context, actor account.Actor, id int64) (Message, error) {
	msg, _, _, err := readable(ctx, s.store, "chat.Message", actor, id)
	return msg.Redacted(), err
}

// History returns a window of a channel's history.
func (s *Service) History(ctx context.Context, actor account.Actor, channelID int64, p Page) (History, error) {
	const op = "chat.History"
	ch, _, err := access(ctx, s.store, op, actor, channelID)
	if err != nil {
		return History{}, err
	}
	if p.Limit <= 0 || p.Limit > 200 {
		p.Limit = 50
	}
	if p.Before < 0 || p.After < 0 || p.Around < 0 {
		return History{}, errs.New(op, errs.Invalid, "cursor_invalid")
	}
	if p.After > 0 {
		p.HasAfter = true
	}
	n := 0
	for _, set := range []bool{p.Before != 0, p.HasAfter, p.Around != 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return History{}, errs.New(op, errs.Invalid, "cursor_conflict")
	}
	h, err := s.store.History(ctx, ch.ID, p)
	if err != nil {
		return History{}, errs.E(op, errs.Other, "", err)
	}
	for i := range h.Messages {
		h.Messages[i] = h.Messages[i].Redacted()
	}
	return h, nil
}

// Replies returns a thread's replies after a sequence.
func (s *Service) Replies(ctx context.Context, actor account.Actor, rootID, afterSeq int64, limit int) ([]Message, bool, error) {
	const op = "chat.Replies"
	root, _, _, err := readable(ctx, s.store, op, actor, rootID)
	if err != nil {
		return nil, false, err
	}
	if root.Root != 0 {
		return nil, false, errs.New(op, errs.Invalid, "not_a_thread_root")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	ms, more, err := s.store.Replies(ctx, root.ID, afterSeq, limit)
	if err != nil {
		return nil, false, errs.E(op, errs.Other, "", err)
	}
	for i := range ms {
		ms[i] = ms[i].Redacted()
	}
	return ms, more, nil
}

// Edit replaces a message's text (author only); the previous text is kept in
// the edit history.
func (s *Service) Edit(ctx context.Context, actor account.Actor, id int64, text string) (Message, error) {
	const op = "chat.Edit"
	text, err := CleanMessageText(op, text)
	if err != nil {
		return Message{}, err
	}
	var msg Message
	err = s.update(ctx, op, func(tx Tx) error {
		var ch Channel
		var err error
		if msg, ch, _, err = readable(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if msg.Author != actor.User {
			return errs.New(op, errs.Permission, "not_author")
		}
		if msg.Hidden() {
			return errs.New(op, errs.Conflict, "message_deleted")
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		if msg.Text == text {
			return nil
		}
		sc, err := account.LoadScheme(ctx, tx, actor.Org)
		if err != nil {
			return err
		}
		if !sc.EditMessages.Allows(actor, false) {
			return errs.New(op, errs.Permission, "edit_not_allowed")
		}
		if sc.EditWindow > 0 && !actor.IsAdmin() && s.now().Sub(msg.CreatedAt) > sc.EditWindow {
			return errs.New(op, errs.Conflict, "edit_window_passed").With("seconds", int64(sc.EditWindow.Seconds()))
		}
		if err := s.checkMentionAll(ctx, tx, op, actor, ch, parseMentions(text)); err != nil {
			return err
		}
		now := s.now()
		if err := tx.InsertEdit(ctx, msg.Org, msg.ID, Edit{Text: msg.Text, EditedAt: now}); err != nil {
			return err
		}
		ments := parseMentions(text)
		old := map[int64]bool{}
		for _, u := range msg.Mentions {
			old[u] = true
		}
		msg.Text, msg.EditedAt = text, now
		if err := s.resolveMentions(ctx, tx, ch, &msg, ments); err != nil {
			return err
		}
		var added []int64
		for _, u := range msg.Mentions {
			if !old[u] {
				added = append(added, u)
			}
		}
		if len(added) > 0 {
			if err := tx.InsertMentions(ctx, msg.Org, ch.ID, msg.Seq, added); err != nil {
				return err
			}
		}
		if err := s.queuePreviews(ctx, tx, msg); err != nil {
			return err
		}
		return s.saveMessage(ctx, tx, msg, "message.updated")
	})
	return msg, err
}

// Edits returns a message's previous texts, oldest first.
func (s *Service) Edits(ctx context.Context, actor account.Actor, id int64) ([]Edit, error) {
	const op = "chat.Edits"
	msg, _, _, err := readable(ctx, s.store, op, actor, id)
	if err != nil {
		return nil, err
	}
	if msg.Hidden() {
		return []Edit{}, nil
	}
	es, err := s.store.Edits(ctx, msg.ID)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return es, nil
}

// Delete hides a message from everyone: the author, a channel admin or an
// organisation admin may delete. The original stays stored for compliance.
func (s *Service) Delete(ctx context.Context, actor account.Actor, id int64) error {
	const op = "chat.Delete"
	return s.update(ctx, op, func(tx Tx) error {
		msg, ch, m, err := readable(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		moderator := canAdmin(actor, ch, m)
		if msg.Author != actor.User && !moderator {
			return errs.New(op, errs.Permission, "not_author")
		}
		if msg.Hidden() {
			return nil
		}
		if !moderator {
			// Authors deleting their own messages follow the scheme;
			// channel admins moderate regardless.
			sc, err := account.LoadScheme(ctx, tx, actor.Org)
			if err != nil {
				return err
			}
			if !sc.DeleteMessages.Allows(actor, false) {
				return errs.New(op, errs.Permission, "delete_not_allowed")
			}
			if sc.DeleteWindow > 0 && s.now().Sub(msg.CreatedAt) > sc.DeleteWindow {
				return errs.New(op, errs.Conflict, "delete_window_passed").With("seconds", int64(sc.DeleteWindow.Seconds()))
			}
		}
		msg.DeletedAt = s.now()
		msg.Pinned = false
		return s.saveMessage(ctx, tx, msg, "message.deleted")
	})
}

// Recall (撤回) withdraws a message: the author within the organisation's
// recall window, or an organisation admin at any time. Everyone sees that it
// was recalled and by whom; the original stays stored for compliance.
func (s *Service) Recall(ctx context.Context, actor account.Actor, id int64) (Message, error) {
	const op = "chat.Recall"
	var msg Message
	err := s.update(ctx, op, func(tx Tx) error {
		var err error
		if msg, _, _, err = readable(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if msg.Hidden() {
			return errs.New(op, errs.Conflict, "message_deleted")
		}
		if !actor.IsAdmin() {
			if msg.Author != actor.User {
				return errs.New(op, errs.Permission, "not_author")
			}
			sc, err := account.LoadScheme(ctx, tx, actor.Org)
			if err != nil {
				return err
			}
			if !sc.RecallMessages.Allows(actor, false) {
				return errs.New(op, errs.Permission, "recall_not_allowed")
			}
			org, err := tx.Org(ctx, actor.Org)
			if err != nil {
				return err
			}
			if s.now().Sub(msg.CreatedAt) > org.RecallWindow {
				return errs.New(op, errs.Conflict, "recall_window_passed").With("seconds", int64(org.RecallWindow.Seconds()))
			}
		}
		msg.RecalledAt, msg.RecalledBy = s.now(), actor.User
		msg.Pinned = false
		// The stored message keeps its text (for compliance); callers and the
		// event get the redacted form.
		if err := s.saveMessage(ctx, tx, msg, "message.recalled"); err != nil {
			return err
		}
		msg = msg.Redacted()
		return nil
	})
	return msg, err
}

// React adds (on) or removes (off) the actor's reaction with emoji.
func (s *Service) React(ctx context.Context, actor account.Actor, id int64, emoji string, on bool) (Message, error) {
	const op = "chat.React"
	if !ValidEmoji(emoji) {
		return Message{}, errs.New(op, errs.Invalid, "emoji_invalid")
	}
	var msg Message
	err := s.update(ctx, op, func(tx Tx) error {
		var ch Channel
		var m *Member
		var err error
		if msg, ch, m, err = readable(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if m == nil {
			return errs.New(op, errs.Permission, "not_a_member")
		}
		if msg.Hidden() {
			return errs.New(op, errs.Conflict, "message_deleted")
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		var changed bool
		if on {
			if len(msg.Reactions) >= 50 && !hasEmoji(msg.Reactions, emoji) {
				return errs.New(op, errs.TooLarge, "too_many_reactions").With("max", 50)
			}
			changed, err = tx.AddReaction(ctx, msg.Org, msg.ID, actor.User, emoji, s.now())
		} else {
			changed, err = tx.RemoveReaction(ctx, msg.ID, actor.User, emoji)
		}
		if err != nil || !changed {
			return err
		}
		if msg, err = tx.Message(ctx, actor.Org, id); err != nil {
			return err
		}
		return s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "message.updated"}, msg)
	})
	return msg, err
}

func hasEmoji(rs []Reaction, e string) bool {
	for _, r := range rs {
		if r.Emoji == e {
			return true
		}
	}
	return false
}

// Pin pins or unpins a message (members who may post).
func (s *Service) Pin(ctx context.Context, actor account.Actor, id int64, pinned bool) (Message, error) {
	const op = "chat.Pin"
	var msg Message
	err := s.update(ctx, op, func(tx Tx) error {
		var ch Channel
		var m *Member
		var err error
		if msg, ch, m, err = readable(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if m == nil {
			return errs.New(op, errs.Permission, "not_a_member")
		}
		if !m.CanPost(ch) && !canAdmin(actor, ch, m) {
			return errs.New(op, errs.Permission, "channel_read_only")
		}
		if msg.Hidden() {
			return errs.New(op, errs.Conflict, "message_deleted")
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		if msg.Pinned == pinned {
			return nil
		}
		msg.Pinned = pinned
		return s.saveMessage(ctx, tx, msg, "message.updated")
	})
	return msg, err
}

// Pins lists a channel's pinned messages.
func (s *Service) Pins(ctx context.Context, actor account.Actor, channelID int64) ([]Message, error) {
	const op = "chat.Pins"
	ch, _, err := access(ctx, s.store, op, actor, channelID)
	if err != nil {
		return nil, err
	}
	ms, err := s.store.Pins(ctx, ch.ID)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ms, nil
}

// Receipts says which members have read a message and which have not, for
// DMs and channels up to the organisation's receipt size limit. The author
// is in neither list.
func (s *Service) Receipts(ctx context.Context, actor account.Actor, id int64) (Receipts, error) {
	const op = "chat.Receipts"
	msg, ch, _, err := readable(ctx, s.store, op, actor, id)
	if err != nil {
		return Receipts{}, err
	}
	org, err := s.store.Org(ctx, actor.Org)
	if err != nil {
		return Receipts{}, errs.E(op, errs.Other, "", err)
	}
	if ch.MemberCount > org.ReceiptMaxMembers {
		return Receipts{}, errs.New(op, errs.Conflict, "channel_too_large_for_receipts").With("max", org.ReceiptMaxMembers)
	}
	ms, err := s.store.Members(ctx, ch.ID)
	if err != nil {
		return Receipts{}, errs.E(op, errs.Other, "", err)
	}
	r := Receipts{Read: []int64{}, Unread: []int64{}}
	for _, m := range ms {
		switch {
		case m.User == msg.Author:
		case m.LastReadSeq >= msg.Seq:
			r.Read = append(r.Read, m.User)
		default:
			r.Unread = append(r.Unread, m.User)
		}
	}
	return r, nil
}

// MarkRead moves the actor's read position in a channel forward to seq
// (never backwards; use MarkUnread for that).
func (s *Service) MarkRead(ctx context.Context, actor account.Actor, channelID, seq int64) (Member, error) {
	return s.setRead(ctx, "chat.MarkRead", actor, channelID, seq, false)
}

// MarkUnread sets the actor's read position to just before seq, so seq and
// everything after it count as unread.
func (s *Service) MarkUnread(ctx context.Context, actor account.Actor, channelID, seq int64) (Member, error) {
	return s.setRead(ctx, "chat.MarkUnread", actor, channelID, seq, true)
}

func (s *Service) setRead(ctx context.Context, op string, actor account.Actor, channelID, seq int64, unread bool) (Member, error) {
	if seq < 0 || (unread && seq < 1) {
		return Member{}, errs.New(op, errs.Invalid, "seq_invalid")
	}
	var m Member
	err := s.update(ctx, op, func(tx Tx) error {
		ch, mm, err := member(ctx, tx, op, actor, channelID)
		if err != nil {
			return err
		}
		m = mm
		if seq > ch.LastSeq {
			seq = ch.LastSeq
			if unread {
				return errs.New(op, errs.Invalid, "seq_invalid")
			}
		}
		next := seq
		if unread {
			next = seq - 1
		} else if next <= m.LastReadSeq {
			m, err = tx.MemberWithCounts(ctx, ch.ID, actor.User)
			return err
		}
		m.LastReadSeq = next
		if err := tx.UpdateMember(ctx, m); err != nil {
			return err
		}
		if m, err = tx.MemberWithCounts(ctx, ch.ID, actor.User); err != nil {
			return err
		}
		if err := s.emitReadState(ctx, tx, ch, m); err != nil {
			return err
		}
		org, err := tx.Org(ctx, actor.Org)
		if err != nil {
			return err
		}
		if ch.MemberCount <= org.ReceiptMaxMembers {
			return s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "receipt.updated"},
				Receipt{Channel: ch.ID, User: actor.User, LastReadSeq: m.LastReadSeq})
		}
		return nil
	})
	return m, err
}
