package central

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"evalpad/rating"
)

// ChannelSMS is 短信评价: a reminder by SMS, answered with a digit.
const ChannelSMS = "sms"

// SMS is 短信评价. The central says which reminders are due and what each
// carries; sending them and taking the replies is an SMS gateway's job (it
// holds the citizens' numbers, the central does not):
//
//	GET  /api/v1/channels/sms/due (operator: the gateway's token)
//	     → {"due":[Reminder…]}: each unrated session whose reminder day has
//	     come (TimeRule: 1 working day after it was served) and that is
//	     neither defaulted nor rated since, with its token and link
//	POST /api/v1/channels/sms (operator) {"token":"…","text":"<the reply>"}
//	     → 201 {"id","reply"}: a 好评 (3–5) stored;
//	       202 {"reply"}: a 差评 (1–2): nothing stored yet, the reply carries
//	       the reasons link (the rating page with that level chosen), where
//	       the 差评 is stored with its reasons;
//	       400 {"error","reply"}: not a reply the central reads (nothing stored);
//	       403: a token the central did not make; 409 {"reply"}: rated already.
//
// "reply" is the text the gateway sends back to the citizen. A reply is
// one digit 1–5, ASCII or full width, optionally followed by 星 or 分,
// spaces around allowed ("5", "５", "4星", " ２ 分 "); anything else is
// refused. The rating is the central's record closing the session, like a
// scan's (ClosingID): the session is rated once, by whichever channel
// comes first, and never defaulted after.
type SMS struct {
	Store Store
	Rule  *TimeRule
	// Key makes and checks the tokens (a central-wide secret; evalhub keeps
	// it in its database).
	Key []byte
	// Base is the central's URL as citizens reach it: links are
	// Base + RatePath + "?s=TOKEN".
	Base  string
	Codes ChannelCodes // nil: DefaultChannelCodes
	Now   func() time.Time
}

// Reminder is one SMS reminder due.
type Reminder struct {
	Unrated
	Cases []rating.Case `json:"cases"`
	Token string        `json:"token"` // the reply's token (POST /api/v1/channels/sms)
	Link  string        `json:"link"`  // the rating page of this session
}

// Token is the SMS token of unrated record id of device:
// id "." device "." base64url(HMAC-SHA256(key, domain 0 id 0 device)[:12]).
func (s *SMS) Token(id, device string) string {
	return id + "." + device + "." + s.mac(id, device)
}

func (s *SMS) mac(id, device string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte("evalhub/sms-token/v1\x00" + id + "\x00" + device))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// errSMSToken: a token the central did not make.
var errSMSToken = errors.New("central: not an SMS token of this central")

// session finds the unrated record a token names.
func (s *SMS) session(ctx context.Context, token string) (rating.Record, error) {
	if len(token) < 38 || token[36] != '.' {
		return rating.Record{}, errSMSToken
	}
	id, rest := token[:36], token[37:]
	k := strings.LastIndexByte(rest, '.')
	if k < 1 || !hmac.Equal([]byte(rest[k+1:]), []byte(s.mac(id, rest[:k]))) {
		return rating.Record{}, errSMSToken
	}
	r, err := s.Store.Record(ctx, id)
	if errors.Is(err, ErrNotStored) || (err == nil && (r.DeviceID != rest[:k] || r.Kind != rating.KindUnrated)) {
		return rating.Record{}, fmt.Errorf("%w: record %s is not stored", errSMSToken, id)
	}
	if err != nil {
		return rating.Record{}, fmt.Errorf("central: sms: %w", err)
	}
	return r.Record, nil
}

// Due lists the reminders due at now.
func (s *SMS) Due(ctx context.Context, now time.Time) ([]Reminder, error) {
	// Only the sessions still open: the default and the other channels'
	// ratings close them (an index on unrated_sessions, not every record).
	if _, err := s.Rule.Apply(ctx, now); err != nil {
		return nil, err
	}
	list, err := s.Rule.List(ctx, Filter{}, false, now)
	if err != nil {
		return nil, err
	}
	out := []Reminder{}
	for _, u := range list {
		if u.Status != "remind" {
			continue
		}
		r, err := s.Store.Record(ctx, u.ID)
		if errors.Is(err, ErrNotStored) { // deleted by retention
			continue
		}
		if err != nil {
			return nil, err
		}
		tok := s.Token(u.ID, u.DeviceID)
		out = append(out, Reminder{Unrated: u, Cases: r.Cases, Token: tok, Link: s.link(tok, 0)})
	}
	return out, nil
}

func (s *SMS) link(token string, stars int) string {
	q := url.Values{"s": {token}}
	if stars > 0 {
		q.Set("stars", fmt.Sprint(stars))
	}
	return strings.TrimSuffix(s.Base, "/") + RatePath + "?" + q.Encode()
}

// ParseReply reads an SMS reply: one digit 1–5 (ASCII or full width),
// optionally followed by 星 or 分, spaces around. ok false otherwise.
func ParseReply(text string) (stars int, ok bool) {
	t := strings.TrimFunc(text, unicode.IsSpace)
	r, n := utf8.DecodeRuneInString(t)
	switch {
	case r >= '1' && r <= '5':
		stars = int(r - '0')
	case r >= '１' && r <= '５':
		stars = int(r - '０')
	default:
		return 0, false
	}
	switch strings.TrimFunc(t[n:], unicode.IsSpace) {
	case "", "星", "分":
		return stars, true
	}
	return 0, false
}

// Texts the gateway sends back.
const (
	smsThanks  = "感谢您的评价！"
	smsGarbage = "未能识别您的回复。请回复数字1至5：5非常满意，4满意，3基本满意，2不满意，1非常不满意。"
	smsRated   = "此次服务已评价，感谢您的参与。"
)

func (s *SMS) register(op func(http.HandlerFunc) http.HandlerFunc, mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/channels/sms/due", op(func(w http.ResponseWriter, r *http.Request) {
		due, err := s.Due(r.Context(), s.now())
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"due": due})
	}))
	mux.HandleFunc("POST /api/v1/channels/sms", op(s.reply))
}

func (s *SMS) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *SMS) reply(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
		Text  string `json:"text"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("body: %w", err))
		return
	}
	u, err := s.session(r.Context(), in.Token)
	if errors.Is(err, errSMSToken) {
		writeError(w, http.StatusForbidden, err)
		return
	} else if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	stars, ok := ParseReply(in.Text)
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("reply %q is not a digit 1 to 5", in.Text), "reply": smsGarbage})
		return
	}
	t, err := s.target(r.Context(), u)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if t.blocked() != "" {
		writeJSON(w, http.StatusConflict, map[string]string{"error": ErrRated.Error(), "reply": smsRated})
		return
	}
	if !rating.Stars(stars).Good() {
		writeJSON(w, http.StatusAccepted, map[string]string{"reply": "请选择不满意的原因，完成评价：" + s.link(in.Token, stars)})
		return
	}
	now := s.now()
	rec := s.record(t, stars, nil, now)
	switch err := storeMade(r.Context(), s.Store, rec, now); {
	case errors.Is(err, ErrRated):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error(), "reply": smsRated})
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		writeJSON(w, http.StatusCreated, map[string]string{"id": rec.ID, "reply": smsThanks})
	}
}

// target is the session of unrated record u as a scan of its first case
// would rate it; blocked when it is closed already.
func (s *SMS) target(ctx context.Context, u rating.Record) (target, error) {
	if len(u.Cases) == 0 {
		return target{}, fmt.Errorf("central: sms: record %s has no case", u.ID)
	}
	rows, err := s.Store.Records(ctx, Filter{DeviceID: u.DeviceID, From: u.At[:min(10, len(u.At))]})
	if err != nil {
		return target{}, fmt.Errorf("central: sms: %w", err)
	}
	c := Case{Record: u, Case: u.Cases[0], Closed: slices.ContainsFunc(rows, func(r Row) bool { return r.ID == ClosingID(u.ID) })}
	return target{Case: &c, Device: Registered{DeviceID: u.DeviceID}, Hall: u.Hall, Window: u.Window, Staff: u.Staff, Zone: zoneOf(u.At), via: ChannelSMS}, nil
}

// record is the central's record of an SMS rating of t.
func (s *SMS) record(t target, stars int, reasons []string, now time.Time) rating.Record {
	r := made(t, s.Codes.Code(ChannelSMS), ChannelSMS, stars, reasons, now)
	r.ID = ClosingID(t.Case.Record.ID)
	return r
}
