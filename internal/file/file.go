// Package file owns uploaded files: upload with size limits and per-user
// quotas, content-type detection that trusts the bytes rather than the
// name, image thumbnails made at upload time under strict limits, and the
// authorisation of every read (a file is readable by whoever may read the
// channel of the message that carries it). The bytes live in a blob store
// (internal/blob: local disk or S3); metadata lives in the database.
package file

import (
	"context"
	"io"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
)

// Preview says how clients may show a file inline. Anything else is only
// downloaded (served as an attachment).
type Preview string

// Previews.
const (
	PreviewNone  Preview = ""
	PreviewImage Preview = "image" // PNG, JPEG, GIF or WebP, with a thumbnail
	PreviewVideo Preview = "video" // MP4 or WebM, played by the browser
	PreviewAudio Preview = "audio" // MP3, WAV, Ogg
	PreviewPDF   Preview = "pdf"   // shown by the browser's PDF viewer
)

// File is an uploaded file.
type File struct {
	ID          int64
	Org         int64
	Channel     int64
	Uploader    int64
	Message     int64 // the message carrying the file; 0 until attached
	Name        string
	ContentType string // detected from the bytes
	Size        int64
	SHA256      string // hex
	Key         string // blob key of the content
	ThumbKey    string // blob key of the thumbnail; "" when none
	Width       int    // pixels, for images
	Height      int
	Preview     Preview
	CreatedAt   time.Time
	// MessageHidden is set on reads when the carrying message is deleted or
	// recalled: the file is then hidden like the message's text.
	MessageHidden bool
}

// Limits on what the service decodes. They bound the memory and time an
// upload can cost, whatever its bytes claim.
const (
	MaxNameLen     = 200        // characters of a file name
	MaxImagePixels = 40_000_000 // width × height of an image shown inline (8K is 33 MP)
	MaxGIFFrames   = 1000       // frames of an animated GIF shown inline
	// MaxGIFPixels bounds the pixels of all frames of an animated GIF
	// together: what a browser decodes to play it.
	MaxGIFPixels = 400_000_000
	ThumbSize    = 400 // a thumbnail fits in ThumbSize × ThumbSize
	// PendingTTL is how long an upload may wait for a message to attach
	// it before Sweep deletes it (and frees the quota it takes).
	PendingTTL = 24 * time.Hour
)

// SearchFilter is a file-name search as the store runs it; the service
// decides which channels are readable.
type SearchFilter struct {
	Org      int64
	User     int64  // channels the user is a member of are readable
	Public   bool   // the organisation's public channels are readable too
	Name     string // lower-case substring of the name
	Channel  int64  // when not 0, only this channel
	BeforeID int64  // files with a smaller id (paging, newest first)
	Limit    int
}

// Store is what the file service needs from persistence. Reads return
// NotFound for missing rows and Unavailable on database errors.
type Store interface {
	Org(ctx context.Context, id int64) (account.Org, error)
	// File returns a file with MessageHidden filled (NotFound: file_not_found).
	File(ctx context.Context, org, id int64) (File, error)
	// SearchFiles returns attached files of visible messages matching f,
	// newest first.
	SearchFiles(ctx context.Context, f SearchFilter) ([]File, error)
	UploadedBytes(ctx context.Context, org, user int64) (int64, error)
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is a write transaction.
type Tx interface {
	Org(ctx context.Context, id int64) (account.Org, error)
	// UploadedBytes is the total size of the files a user uploaded.
	UploadedBytes(ctx context.Context, org, user int64) (int64, error)
	InsertFile(ctx context.Context, f File) (File, error)
	// DeleteUnattached deletes up to limit files that no message attached
	// and that were uploaded before the cutoff, and returns them.
	DeleteUnattached(ctx context.Context, before time.Time, limit int) ([]File, error)
	// DeleteFile deletes a file if no message attached it; false otherwise.
	DeleteFile(ctx context.Context, org, id int64) (bool, error)
}

// Blobs stores file contents: blob.Disk or s3blob.Bucket.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Open(ctx context.Context, key string) (blob.Object, error)
	Delete(ctx context.Context, key string) error
}

// Channels decides who may read and post in a channel (chat.Service).
type Channels interface {
	Access(ctx context.Context, actor account.Actor, channel int64) (chat.Channel, *chat.Member, error)
}
