package errs

import (
	"fmt"
	"testing"
)

func TestKindAndCodeThroughWrapping(t *testing.T) {
	inner := New("store.Member", NotFound, "not_a_member")
	outer := E("chat.Post", Other, "", inner)
	wrapped := fmt.Errorf("handler: %w", outer)
	if KindOf(wrapped) != NotFound || CodeOf(wrapped) != "not_a_member" {
		t.Fatalf("got %v %q", KindOf(wrapped), CodeOf(wrapped))
	}
	// An outer code overrides an inner one.
	recoded := E("chat.Post", NotFound, "channel_not_found", inner)
	if CodeOf(recoded) != "channel_not_found" {
		t.Fatalf("code %q", CodeOf(recoded))
	}
	if KindOf(fmt.Errorf("plain")) != Other || CodeOf(fmt.Errorf("plain")) != "other" {
		t.Fatal("plain errors are Other")
	}
	p := New("x", TooLarge, "message_too_long").With("max", 16000)
	if ParamsOf(E("y", Other, "", p))["max"] != 16000 {
		t.Fatal("params lost through wrapping")
	}
	if !Is(p, TooLarge) || Is(nil, TooLarge) {
		t.Fatal("Is")
	}
}
