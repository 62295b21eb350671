package screen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	_ "image/jpeg" // staff photos come as JPEG or PNG
	_ "image/png"
	"os"
	"strings"
)

// maxPhotoPixels bounds a decoded photo (a 4K frame), so a hostile payload
// cannot make the pad allocate gigabytes.
const maxPhotoPixels = 4096 * 4096

// DecodePhoto reads a staff photo: a data:image/…;base64 URI (as a session
// carries it) or a file path (as the config names it). http(s) URLs are not
// fetched by the pad.
func DecodePhoto(src string) (image.Image, error) {
	var data []byte
	switch {
	case strings.HasPrefix(src, "data:"):
		meta, b64, ok := strings.Cut(src[len("data:"):], ",")
		if !ok || !strings.HasSuffix(meta, ";base64") || !strings.HasPrefix(meta, "image/") {
			return nil, fmt.Errorf("screen: photo: want data:image/…;base64,…")
		}
		d, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("screen: photo: %w", err)
		}
		data = d
	case strings.HasPrefix(src, "http://"), strings.HasPrefix(src, "https://"):
		return nil, fmt.Errorf("screen: photo: URLs are not fetched; send a data: URI")
	default:
		d, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("screen: photo: %w", err)
		}
		data = d
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("screen: photo: %w", err)
	}
	if cfg.Width*cfg.Height > maxPhotoPixels {
		return nil, fmt.Errorf("screen: photo: %d×%d is too large", cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("screen: photo: %w", err)
	}
	return img, nil
}
