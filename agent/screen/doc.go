// Package screen turns the pad's state into frames for a panel and touches
// on the panel into the pad's inputs. It joins the pad's View with what the
// config says (hall, window, the 扫码评价 URL, the button order) and the
// clock, renders it with package display, and keeps the latest frame. The
// simulator serves that frame as PNG; a panel driver sends it to the glass.
package screen
