// Package st7789 drives an ST7789 SPI TFT panel (240×240, 240×320,
// 135×240 modules) through periph.io/x/conn/v3: an spi.Conn for the bus
// and two gpio.PinOut for D/C (data/command) and RESET. Frames come in as
// *image.RGBA; Show sends only the rectangle that changed since the last
// frame it sent.
//
// # Bus
//
// Every byte goes out with D/C low for a command, high for its parameters
// and pixel data. A write longer than the connection's MaxTxSize
// (conn.Limits; 4096 bytes, spidev's default, when the connection does not
// say) is cut into chunks.
//
//	       D/C  bytes
//	cmd    low  one command byte
//	data   high parameters / pixels, chunked
//
// Init, after RESET low 10 ms then high and 120 ms:
//
//	01 SWRESET            wait 150 ms
//	11 SLPOUT             wait 120 ms
//	3A COLMOD   55        16 bits per pixel, RGB565
//	36 MADCTL   m         rotation (below), bit 3 for BGR panels
//	21 INVON              unless Config.NoInvert (most modules need it)
//	13 NORON              wait 10 ms
//	29 DISPON             wait 10 ms
//
// Show, for the changed rectangle x0…x1, y0…y1 (inclusive, in the frame):
//
//	2A CASET    XS XS XE XE   x0+xoff, x1+xoff, 16 bits big-endian
//	2B RASET    YS YS YE YE   y0+yoff, y1+yoff
//	2C RAMWR    pixels        row by row, RGB565 big-endian: RRRRRGGG GGGBBBBB
//
// Close: 28 DISPOFF, 10 SLPIN.
//
// # Geometry
//
// The controller's RAM is 240 columns × 320 rows; a module shows the W×H
// window at (X, Y) of it when MADCTL is 0. Rotate turns the picture; the
// frame is W×H at 0 and 180, H×W at 90 and 270, and the window's offsets
// follow the mirrored axes:
//
//	Rotate  MADCTL         xoff          yoff
//	0       00             X             Y
//	90      60 (MX|MV)     Y             240−W−X
//	180     C0 (MX|MY)     240−W−X       320−H−Y
//	270     A0 (MY|MV)     320−H−Y       X
//
// Common modules: 240×320 at (0,0); 240×240 at (0,0) (its glass is the top
// of the RAM, so turned 180° the window starts at row 80); 170×320 at
// (35,0); 135×240 at (52,40) (53,40 turned). README's "ST7789 modules"
// has their settings; TestModules plays each back.
//
// # SPI mode
//
// NewSPI connects in Config.Mode. The ST7789 samples on the rising clock
// edge, which modes 0 and 3 both give; a module without a CS line needs
// mode 3 (the clock idles high), which is why TFT_eSPI uses 3 and the
// pad's config defaults to it.
package st7789
