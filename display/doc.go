// Package display draws the evaluator pad's screens and maps touches on
// them. It is pure: a Model in, pixels (or a Target) out; no clock, no I/O
// after LoadFont, nothing of pad, device, sync or store.
//
//	f, err := display.LoadFont(cfg.FontPaths)          // ErrNoFont lists the paths tried
//	r, err := display.NewRenderer(f, display.Size{1024, 600})
//	err = r.Check(model)                                // ErrMissingGlyph names char and text
//	img := r.NewImage()
//	r.Render(img, model)                                // every pixel, no allocation when warm
//	t, ok := r.Hit(model, x, y)                         // a touch, through the same layout
//
// # Screens
//
// Every screen has the same header: the hall on the left; 未联网 (when
// Offline) and the window (12 → 12号窗口) as pills on the right. Below it,
// at 1024×600:
//
//	idle                                          rate (single, batch)
//	┌───────────────────────────────┬────────┐    ┌──────────────────────────────────────┐
//	│ 泰安市政务服务中心                 (12号窗口) │    │ 泰安市政务服务中心           (12号窗口)   │
//	╞═══════════════════════════════╧════════╡    ╞══════════════════════════════════════╡
//	│ ┌────────────────────────┐ ┌──────────┐ │    │ 请对本次服务进行评价      (批量办理 共3件)│
//	│ │┌─────┐ 服务人员         │ │  ▛▀▀▀▜   │ │    │ ┌ 办理事项 ─────────────────────────┐ │
//	│ ││photo│ 张晓明           │ │  ▌QR▐   │ │    │ │ 企业设立登记                        │ │
//	│ ││ 3:4 │ (工号 TA0123)    │ │  ▙▄▄▄▟   │ │    │ └ 办件编号 370900…  / 适用于全部3件 ─┘ │
//	│ │└─────┘                 │ │ 扫码评价  │ │    │ ┌ photo 服务人员 张晓明 工号 TA0123 ─┐ │
//	│ └────────────────────────┘ └──────────┘ │    │ └───────────────────────────────────┘ │
//	│ 2026年11月25日 星期三 10:03  欢迎对我的… │    │   请按屏幕下方对应按键，或直接点击进行评价   │
//	└─────────────────────────────────────────┘    │ [★★★★★ ][ ★★★★ ][ ★★★  ][ ★★   ][ ★    ] │
//	                                               │ [非常满意][ 满意 ][基本满意][不满意][非常不满意]│
//	                                               └──────────────────────────────────────┘
//	                                                   (5)     (4)     (3)     (2)     (1)   buttons
//
//	rate (theme)                                  reasons
//	 请对本次服务进行评价       (主题式办理 共5项)      (★★ 不满意) 请选择不满意的原因（可多选）
//	┌──────────────────┐┌──────────────────┐      ┌──────────────┐┌──────────────┐┌──────────────┐
//	│ ★ 整体评价 评价全部 ││ ③ 税务登记…  (blue)│      │□ 没有提供材料样本││■ 没有提供材料清单││□ 未在承诺时间内 │
//	│ ✓ 企业设立登记 已评 ││ ④ 社会保险登记      │      └──────────────┘└──────────────┘│  办结          │
//	│ ✓ 公章刻制备案 已评 ││ ⑤ 住房公积金…       │        …                 ■ = selected (red)
//	└──────────────────┘└──────────────────┘      ─────────────────────────────────────────────────
//	[ five level tiles, as above ]                 已选 2 项  1/2 键移动 · 3 键选择 · 5 键确认  [确认提交]
//
//	thanks: a green tick, 感谢您的评价！, 您的评价 ★★★★★ 非常满意, Message
//	paused: a pause sign, 暂停服务, Message
//	fault:  a warning sign, 设备故障 暂停使用, 故障代码 [E10], 请联系工作人员处理, Message
//
// The level tiles split the panel's width in five equal columns, one per
// physical button under the screen, in Model.StarOrder (default 5 4 3 2
// 1: 非常满意 on the left). Each column, gaps included, is that level's
// touch target.
//
// # Sizes
//
// The design is drawn at 1024×600 and scaled by min(W/1024, H/600);
// text scales by the 0.55th power of that, so it shrinks less than the
// layout (at 480×320 body text is 14–20 px, never below 12). Anything
// from MinSize (135×240) lays out, panels under 320 wide in the compact
// layout below; 1024×600, 800×480, 480×320, 320×240 and the SPI modules'
// 240×320, 240×240, 170×320 and 135×240 are the tested sizes. Texts
// never overflow: each is cut with … to its box, or shrunk first where
// its whole matters:
//
//   - staff name: one line as large as fits (60 → 32 px at 1024×600), else
//     up to three lines, then cut. 工号, the reasons title and the rate
//     title shrink to fit their line.
//   - theme items (up to rating.MaxCases = 20, plus 整体评价): all on one
//     screen, never paginated. The grid takes 1 to 4 columns, whichever
//     gives the largest type (rows at most 2.6 × the type); one line per
//     item, names cut with …. Rated items are ticked and greyed and are
//     not touch targets; 整体评价 is greyed and not a target once any item
//     is rated (the pad refuses it then).
//   - reasons (up to rating.MaxReasons = 12): all on one screen. The grid
//     takes 1 to 3 columns and up to 3 lines per tile, at the largest size
//     (30 → 12 px at 1024×600) at which every reason shows whole; if that
//     size would fall under 22 (design px), texts longer than 20 runes
//     (the national list's longest is 18) are allowed to be cut instead.
//
// # Small panels
//
// Under 320 pixels wide (the ST7789 modules) the 1024×600 design scaled
// down would put text under 12 px and make the level tiles 27 px wide, so
// these panels stack everything, with type at fixed sizes (12–26 px from
// 200 wide, 12–20 below):
//
//	idle: the staff card (photo, 服务人员, name, 工号 pill; on a square
//	      panel one line: 服务人员 name 工号), the QR code as large as the
//	      room left allows (left out when a module would be under 2 px),
//	      扫码评价, a notice, and at the bottom the time with the date (the
//	      year dropped; the weekday too, or the date above, when narrow)
//	rate: the title, the case card (办理事项, the task name on up to two
//	      lines, the project number; the labels drop when there is no
//	      room), who served and the hint where there is room; the levels:
//	      from 240 wide five columns, one per button (stars over the word,
//	      four-character words on two lines); under 240 five rows across the
//	      panel, StarOrder top to bottom, each row its level's target
//	theme: 整体评价 and the items one per row
//	reasons: the level chip, the title on up to two lines, the reasons one
//	      per row on up to three lines, 已选 n 项 and 确认提交 at the bottom
//	thanks, paused, fault: as on large panels, each text fitted to the width
//
// Reasons and theme items that do not all fit are paged: a page row with
// p/n and, on a touch pad, 上一页 and 下一页 as TargetPage targets, which the
// screen handles itself (Model.Page; agent/screen keeps it, back to the
// first page when the screen changes). On a buttons-only pad the reasons'
// page is the focused reason's, so 1 and 2 move through every page.
//
// # Elder mode
//
// Model.Elder (适老化) draws the compact layout's stacked screens with the
// type and targets of elder.go, in the unit of the 工信部 适老化 rule,
// dp/pt (1/160 inch): body text of 18 dp, titles of 30 dp, targets of
// 60 × 60 dp at least, at the DPI the renderer is given (SetDPI; PanelDPI
// by default); where the panel has room (1024×600 and 800×480 at their
// usual DPI) the type is 18 and 30 typographic points. One reason or item
// a row, paged; on small touch panels 上页/下页 beside the list; 朗读 in
// the reasons screen's bar; titles in a shorter wording where the default
// does not go across. Every reason is drawn whole, on as many lines as it
// needs (its text flowing under the check box where that takes fewer
// lines), so in the rule's dp the reasons screen has no header. It is
// drawn where ElderSupport says: with buttons where the five levels' words
// go beside their stars and, with the title, down the panel (ElderFits:
// every tested size but 135×240), on a touch pad only where five 60 dp
// targets go across and four down (ElderTouchFits); elsewhere Elder is
// ignored. With Model.OfferElder a touch pad's rate screen has 大字
// (标准字 in elder mode), a 60 dp TargetElder for the pad to switch, where
// ElderTouchFits.
//
// On the small buttons-only modules (elder_keys.go) the keys' hint takes
// the confirm bar's place, a whole instruction a line, and gives way on a
// page whose reason needs the room (4 键朗读 first, then 1/2 键移动, then
// 5 键确认). At 240×240 only the idle screen has the header (the window):
// the rate screen is 请您评价 over five rows "n★ word", 34 px each; the
// reasons screen the title, one reason and what is left of the hint; the
// thanks screen's level is one line "n★ word"; the fault screen says
// 设备故障 and 故障代码 E10 as text; the idle screen has who serves a
// line each and no clock, and a notice in the card's place.
//
// # Buttons-only pads
//
// A pad without a touch panel chooses 差评 reasons with its five buttons.
// "n 键" is the button that rates n★ (wherever StarOrder puts it). On the
// reasons screen, with Model.ButtonsOnly, the pad maps:
//
//	2 键  上一项   focus the previous reason (wraps)
//	1 键  下一项   focus the next reason (wraps)
//	3 键  选择     select / unselect the focused reason (ToggleReason)
//	5 键  确认     确认提交 (Confirm); with nothing selected the screen says 请至少选择一项
//	4 键  朗读     with OfferRead (a pad with a voice): the agent reads the
//	               reasons out; else ignored
//
// With the default StarOrder the 2 and 1 buttons are the two rightmost,
// so left moves back and right moves on. The focus order is the order of
// Model.Offered, which the grid shows row by row, left to right. The pad
// keeps Focus (0 when the screen opens); the screen draws a blue ring
// around that tile and the line 1/2 键移动 · 3 键选择 · 5 键确认 in the
// bottom bar (where it wraps, broken only at its " · ": keyhint.go). Focus is drawn only when ButtonsOnly is set, so a zero
// Model (Focus 0) shows no ring.
//
// # Touch
//
// Hit and Render run the same layout function, which writes one list of
// ops (fills, texts, shapes, the QR code, the photo, touch targets); so a
// tile and its target cannot drift apart. Targets become the pad's inputs:
// Star → Press(n), Reason → ToggleReason(code), Confirm → Confirm() (also
// with nothing selected: the pad answers that one is needed), Item →
// SelectTarget(project_no), Overall → SelectTarget(""). Idle, thanks,
// paused and fault have no targets.
//
// # Fonts and glyphs
//
// Droid Sans Fallback (Debian's fonts-droid-fallback) has the CJK but no
// glyph below U+2E80 — no digits, no Latin, no …. Font pairs it with the
// Go fonts embedded from golang.org/x/image (Regular and Bold), which draw
// digits, Latin and punctuation; ★ and ✓ are vector shapes. The CJK font
// has no bold: bold CJK is the glyph smeared by 1–2 px. Font.Check (and
// Renderer.Check over a model's Texts) returns ErrMissingGlyph naming the
// character and the text, for configured texts and staff names at start
// and in selftest, so a counter never shows a tofu box.
//
// # Speed
//
// A renderer keeps its own faces (faces are not goroutine-safe), every
// glyph it has drawn as a coverage mask, the icon and corner masks, the
// QR modules of the last URL, the photo scaled to each box, and the
// strings it formats (clock, 工号, counts) while their values stay. A warm
// frame is fills, copies and mask blending with no allocation: about
// 0.4 ms for the busiest 1024×600 screen (BenchmarkRender1024x600).
//
// # Tests
//
// Golden PNGs in testdata/ for each screen at each tested size, compared
// pixel by pixel (a channel may differ by 2: vector rasterising is float32
// and some CPUs fuse multiply-adds); go test ./display -update rewrites
// them — look at them before committing.
package display
