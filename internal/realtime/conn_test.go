package realtime

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// A frame the socket takes only in part is finished by the writer
// goroutine, and frames sent meanwhile queue behind it: the client reads
// every byte, in order, although nothing read while they were sent.
func TestInlineWriteFallsBackToQueueInOrder(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	h := NewHub(Config{QueueSize: 1 << 20}, nil, nil, nil)
	c := &conn{hub: h, nc: sc, raw: newRawWriter(sc)}
	if !c.raw.ok() {
		t.Fatal("no non-blocking writer for a TCP socket")
	}
	// 32 MB, more than loopback socket buffers hold: some write must
	// stop part way.
	const frames, size = 320, 100 << 10
	var want bytes.Buffer
	fellBack := false
	for i := range frames {
		p := bytes.Repeat([]byte{byte(i)}, size)
		binary.BigEndian.PutUint32(p, uint32(i))
		f := textFrame(p)
		want.Write(f)
		c.enqueue(f)
		c.mu.Lock()
		fellBack = fellBack || c.writing
		c.mu.Unlock()
	}
	if !fellBack {
		t.Fatal("every frame was written inline; the test did not fill the socket")
	}
	got := make([]byte, want.Len())
	if _, err := io.ReadFull(cc, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("the client received different bytes than were sent")
	}
	h.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.writing || len(c.q) > 0 || c.closeCode != 0 {
		t.Fatalf("after the drain: writing %v, queued %d, close code %d", c.writing, len(c.q), c.closeCode)
	}
}

// A write deadline left on the socket by the writer goroutine must not
// fail later inline writes once it has passed (it did: every stream idle
// for longer than WriteTimeout broke at its next frame). The frame goes
// through the writer, which clears the deadline, and the next is inline.
func TestInlineWriteAfterPassedDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	sc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	h := NewHub(Config{}, nil, nil, nil)
	c := &conn{hub: h, nc: sc, raw: newRawWriter(sc)}
	sc.SetWriteDeadline(time.Unix(1, 0)) // as a write long ago left it
	one, two := textFrame([]byte(`{"n":1}`)), textFrame([]byte(`{"n":2}`))
	c.enqueue(one)
	h.wg.Wait()
	c.enqueue(two)
	c.mu.Lock()
	inline := !c.writing && c.closeCode == 0
	c.mu.Unlock()
	if !inline {
		t.Error("the frame after the writer's was not written inline")
	}
	got := make([]byte, len(one)+len(two))
	if _, err := io.ReadFull(cc, got); err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Clone(one), two...); !bytes.Equal(got, want) {
		t.Fatalf("client got %q, want %q", got, want)
	}
}
