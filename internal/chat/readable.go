package chat

import "github.com/parley-chat/parley/internal/account"

// ReadsPublicChannels reports whether the actor may read the organisation's
// public channels without being a member of them: everyone but guests. It is
// the rule access applies, exported for services that filter many channels
// at once (search).
func ReadsPublicChannels(actor account.Actor) bool { return !actor.IsGuest() }
