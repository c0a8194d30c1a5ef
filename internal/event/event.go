// Package event defines the durable event record that flows from a committed
// write to every WebSocket stream that may see it. It is a leaf: the store
// persists events, the bus carries them, realtime delivers them, and none of
// them needs to know what a message or a channel is.
package event

// Event is one change a user may see, already authorised and serialised.
//
// Seq is allocated per organisation inside the transaction that made the
// change, so it is strictly increasing and gap-free in commit order. A user's
// stream is the subsequence of the organisation's events addressed to them,
// which keeps it strictly increasing (though not contiguous).
//
// The audience is Channel (its members at the time the event is delivered)
// plus User (one extra recipient, e.g. the person removed from a channel).
// Ephemeral events (presence, typing) have Seq 0 and are never stored.
type Event struct {
	Org     int64  // organisation; no event crosses organisations
	Seq     int64  // per-organisation sequence; 0 for ephemeral events
	Channel int64  // deliver to the members of this channel; 0 for none
	User    int64  // deliver also to this user; 0 for none
	Type    string // e.g. "message.posted"; the wire name
	Frame   []byte // the complete JSON frame sent to clients, as is

	// Membership changes are applied by the fan-out in event order, so that a
	// user added to a channel receives its events from this one on, and a
	// user removed receives this event and nothing after it.
	Join  []int64 // users who become members of Channel with this event
	Leave []int64 // users who stop being members of Channel after this event

	// All delivers the event to every stream of the organisation (a new
	// public channel, a profile change).
	All bool
	// NoGuests keeps an All event from guests, who see only the channels
	// they were invited to and those channels' members (a public channel's
	// news, directory changes).
	NoGuests bool
	// GuestPeers lets a NoGuests event reach, still, the guests who share a
	// channel with User: the event is about User (their profile), and
	// guests see the members of their channels.
	GuestPeers bool
	// Revoke closes every stream of User (deactivation, session revoked).
	Revoke bool
	// Users lists explicit recipients for ephemeral events (presence).
	Users []int64
}
