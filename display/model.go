package display

import (
	"image"
	"math"
	"time"

	"evalpad/rating"
)

// Size is a panel's size in pixels.
type Size struct{ W, H int }

// The panel sizes the layout is designed and tested for. Any size from
// MinSize up lays out (the 1.14" 135×240 SPI module is the smallest);
// DefaultSize is the 10.1" panel of most hall pads.
var (
	DefaultSize = Size{1024, 600}
	MinSize     = Size{135, 240}
)

// The screens, as the pad names them (pad.Screen values).
const (
	ScreenIdle    = "idle"
	ScreenRate    = "rate"
	ScreenReasons = "reasons"
	ScreenThanks  = "thanks"
	ScreenPaused  = "paused"
	ScreenFault   = "fault"
)

// Model is everything one frame shows. The renderer reads it and keeps
// nothing of it but caches keyed by its values (the QR code of ScanURL, the
// photo scaled to its box): a Photo must not be changed in place once shown;
// pass a new image instead.
type Model struct {
	Screen string // one of the Screen constants; anything else draws idle

	// The header of every screen, and the idle screen.
	Hall, Window       string      // 泰安市政务服务中心, 12 (drawn 12号窗口) or a name with 窗口 in it
	StaffID, StaffName string      // 工号 and name of the staff on duty or serving
	Photo              image.Image // the staff photo; nil draws a neutral placeholder
	ScanURL            string      // the window's static 扫码评价 QR code; "" draws none
	Clock              time.Time   // the date and time on idle, in its own Location; zero draws none
	Offline            bool        // draws 未联网 in the header

	// The rate screen.
	Mode   rating.Mode
	Cases  []rating.Case
	Rated  []string // theme items already rated one by one (project_no): ticked, not touchable
	Target string   // theme item the next press rates; "" = the whole theme (整体评价)

	// The reasons screen.
	Stars       int             // the 差评 level being explained: 1 or 2
	Offered     []rating.Reason // the reasons of that level, at most rating.MaxReasons
	Selected    []string        // codes selected so far
	Focus       int             // with ButtonsOnly: index in Offered of the focused reason, -1 none
	ButtonsOnly bool            // a pad without touch: draw Focus and the key hint (see doc.go)

	// Page is the page of reasons or theme items shown on a small panel
	// whose list does not fit (doc.go "Small panels"): 0 first, clamped to
	// the pages there are. A TargetPage touch names the page to show next.
	// With ButtonsOnly the reasons' page is the focused reason's.
	Page int

	Message   string // paused and thanks (and fault): an optional line under the title
	FaultCode string // fault: a short code a technician looks up, e.g. E10
	LastStars int    // thanks: the level just given, 0 draws none

	// Elder is the elder-friendly mode (适老化, doc.go "Elder mode"): the
	// compact layout's stacked screens with type of at least 18 dp (titles
	// 30 dp; 18 and 30 pt where the panel has room) at the panel's DPI,
	// targets of at least 60 dp, fewer reasons a page. Ignored on a panel
	// too small for it (ElderSupport: Renderer.ElderFits, and on a touch
	// pad Renderer.ElderTouchFits).
	Elder bool
	// OfferElder draws the 大字 / 标准字 toggle on a touch pad's rate screen
	// (a TargetElder), where elder mode fits a touch pad: the citizen's
	// choice.
	OfferElder bool
	// OfferRead draws 朗读 on a touch pad's reasons screen (a TargetRead):
	// the pad has a voice to read the reasons out with.
	OfferRead bool

	// Texts replaces screen texts by key (see TextKeys); a key left out, or
	// empty, keeps the default.
	Texts map[string]string

	// StarOrder is the level of each physical button under the screen, left
	// to right; nil or not a permutation of 1..5 means {5,4,3,2,1}. The rate
	// screen's level tiles line up with the buttons: the panel's width is
	// split in five equal columns, one per button.
	StarOrder []int
}

// TargetKind is what a touch hit.
type TargetKind uint8

// The target kinds.
const (
	TargetNone    TargetKind = iota
	TargetStar               // a level tile on the rate screen: Stars
	TargetReason             // a reason tile on the reasons screen: Code
	TargetConfirm            // 确认提交 on the reasons screen
	TargetItem               // a theme item on the rate screen: ProjectNo
	TargetOverall            // 整体评价 on a theme rate screen
	TargetPage               // 上一页/下一页 on a small panel: show Page (not a pad input)
	TargetElder              // 大字 / 标准字 on the rate screen: elder mode on (Elder) or off
	TargetRead               // 朗读 on the reasons screen: read the reasons out
)

var targetNames = [...]string{"none", "star", "reason", "confirm", "item", "overall", "page", "elder", "read"}

func (k TargetKind) String() string {
	if int(k) < len(targetNames) {
		return targetNames[k]
	}
	return "TargetKind(?)"
}

// Target is what a touch means, in the terms of the pad's inputs:
// Star → Press(Stars), Reason → ToggleReason(Code), Confirm → Confirm(),
// Item → SelectTarget(ProjectNo), Overall → SelectTarget(""); Page is
// the screen's own: show Model.Page = Page.
type Target struct {
	Kind      TargetKind
	Stars     int
	Code      string
	ProjectNo string
	Page      int
	Elder     bool // TargetElder: what the touch turns elder mode to
}

// defaultStarOrder is the usual button row: 非常满意 on the left.
var defaultStarOrder = [5]int{5, 4, 3, 2, 1}

// starOrder returns m.StarOrder if it is a permutation of 1..5, else the default.
func (m *Model) starOrder() [5]int {
	if len(m.StarOrder) != 5 {
		return defaultStarOrder
	}
	var seen [6]bool
	var out [5]int
	for i, s := range m.StarOrder {
		if s < 1 || s > 5 || seen[s] {
			return defaultStarOrder
		}
		seen[s] = true
		out[i] = s
	}
	return out
}

// textKeys names the screen texts a config may replace.
var textKeys = map[string]string{
	txtWelcome: "welcome", txtRateTitle: "rate_title", txtReasonTitle: "reasons_title",
	txtConfirm: "confirm", txtThanks: "thanks", txtPaused: "paused", txtFault: "fault",
	txtScan: "scan", txtStaff: "staff", txtCallStaff: "call_staff",
}

// TextKeys returns the keys of the screen texts a config may replace, with
// their default texts.
func TextKeys() map[string]string {
	out := make(map[string]string, len(textKeys))
	for def, key := range textKeys {
		out[key] = def
	}
	return out
}

// text is the screen text whose default is def, as m.Texts may replace it.
func (m *Model) text(def string) string {
	if t := m.Texts[textKeys[def]]; t != "" {
		return t
	}
	return def
}

// PanelDPI is the pixel density of the panel usually sold at size s, for
// sizes in millimetres when the config names no display.dpi: 10.1" at
// 1024×600 (118 dpi), 7" at 800×480 (133), 3.5" at 480×320 (165), 2.8"
// at 320×240 (143), and the ST7789 modules: 2.0" 240×320 (200), 1.3"
// 240×240 (261), 1.9" 170×320 (191), 1.14" 135×240 (242). Other sizes
// are taken to be 160 dpi (one dp a pixel).
func PanelDPI(s Size) float64 {
	diag := map[Size]float64{
		{1024, 600}: 10.1, {800, 480}: 7, {480, 320}: 3.5, {320, 240}: 2.8,
		{240, 320}: 2.0, {240, 240}: 1.3, {170, 320}: 1.9, {135, 240}: 1.14,
	}[s]
	if diag == 0 {
		return 160
	}
	return math.Round(math.Hypot(float64(s.W), float64(s.H)) / diag)
}
