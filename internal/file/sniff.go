package file

import (
	"bytes"
	"net/http"

	"github.com/parley-chat/parley/internal/errs"
)

// expected maps the extensions of the formats clients show inline to the
// content type their bytes must have. A name with one of these extensions
// whose bytes are something else (a "photo.png" that is HTML, a "report.pdf"
// that is a ZIP) is refused: such polyglots exist to be rendered as one type
// and treated as another.
var expected = map[string]string{
	"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "jfif": "image/jpeg", "gif": "image/gif",
	"webp": "image/webp", "pdf": "application/pdf", "mp4": "video/mp4", "m4v": "video/mp4", "m4a": "video/mp4",
	"webm": "video/webm", "mp3": "audio/mpeg", "wav": "audio/wave", "ogg": "application/ogg",
	"oga": "application/ogg", "ogv": "application/ogg", "opus": "application/ogg",
}

// previews maps detected content types to how they are shown inline.
var previews = map[string]Preview{
	"image/png": PreviewImage, "image/jpeg": PreviewImage, "image/gif": PreviewImage, "image/webp": PreviewImage,
	"video/mp4": PreviewVideo, "video/webm": PreviewVideo,
	"audio/mpeg": PreviewAudio, "audio/wave": PreviewAudio, "application/ogg": PreviewAudio,
	"application/pdf": PreviewPDF,
}

// sniff detects the content type of a file from its first bytes (the
// WHATWG algorithm of net/http, plus WebP, which it does not know) and
// decides the preview: only when the name's extension agrees with the bytes.
// It returns Invalid (file_type_mismatch) when the extension names an
// inline format the bytes are not.
func sniff(op, name string, head []byte) (string, Preview, error) {
	ct := http.DetectContentType(head)
	if len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")) {
		ct = "image/webp"
	}
	if i := bytes.IndexByte([]byte(ct), ';'); i >= 0 {
		ct = ct[:i]
	}
	e := ext(name)
	want, known := expected[e]
	if !known {
		// Any other extension, or none: stored and downloaded, never shown
		// inline, whatever the bytes are.
		return ct, PreviewNone, nil
	}
	if want != ct {
		return "", "", errs.New(op, errs.Invalid, "file_type_mismatch").With("ext", e)
	}
	p := previews[ct]
	switch e {
	case "m4a":
		ct, p = "audio/mp4", PreviewAudio
	case "ogv":
		ct, p = "video/ogg", PreviewVideo
	case "ogg", "oga", "opus":
		ct = "audio/ogg"
	}
	return ct, p, nil
}
