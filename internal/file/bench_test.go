package file

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// BenchmarkThumbnail measures the thumbnail of a 12-megapixel photo (4000 ×
// 3000 JPEG), the common phone camera size: the time an upload spends
// decoding and scaling, and the memory it takes (-benchmem).
//
//	go test ./internal/file -run '^$' -bench Thumbnail -benchmem
func BenchmarkThumbnail(b *testing.B) {
	img := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	// Gradients with a little texture, about the size of a phone photo
	// (a pure-noise image is twice as large and slower to decode).
	for y := range 3000 {
		for x := range 4000 {
			img.Y[y*img.YStride+x] = uint8(x/16+y/12) + uint8((x*y)%7)
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(i/4000), uint8(128+i%64)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.ResetTimer()
	for range b.N {
		if _, _, ok := thumbnail("image/jpeg", bytes.NewReader(data), 1); !ok {
			b.Fatal("no thumbnail")
		}
	}
	b.ReportMetric(float64(len(data))/1e6, "MB-jpeg")
}

// BenchmarkRefusePixelBomb measures how long refusing a 400-megapixel PNG
// takes: only its header is read.
func BenchmarkRefusePixelBomb(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x4e\x20\x00\x00\x4e\x20\x01\x00\x00\x00\x00")
	buf.Write([]byte{0x5c, 0x6d, 0x2b, 0xa4}) // CRC of the IHDR chunk
	data := buf.Bytes()
	for range b.N {
		if _, err := checkImage("b", "image/png", bytes.NewReader(data)); err == nil {
			b.Fatal("bomb accepted")
		}
	}
}
