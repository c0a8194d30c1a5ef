package httpapi

import (
	"mime"
	"net/http"
	"time"
)

// previewImage serves a link preview's thumbnail to members of the
// organisation that keeps it, with the files' safe headers: a re-encoded
// image of the type its name says, never sniffed, never rendered as
// anything else, not embeddable by other origins. Names are random and
// images never change, so the ETag is the name.
func (a *API) previewImage(w http.ResponseWriter, r *http.Request, c call) error {
	name := r.PathValue("name")
	img, err := a.Previews.OpenImage(r.Context(), c.actor, name)
	if err != nil {
		return err
	}
	defer img.Close()
	h := w.Header()
	h.Set("Content-Type", img.ContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", `"`+name+`"`)
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	http.ServeContent(w, r, "", time.Time{}, img)
	return nil
}
