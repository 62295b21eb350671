package trust

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonical returns the canonical form of the JSON text data, as RFC 8785
// (JSON Canonicalization Scheme) defines it: no whitespace, object members
// sorted by their names as UTF-16 code units, strings with only `"`, `\`
// and control characters escaped, numbers as ECMAScript writes them. The
// input must be I-JSON (RFC 7493): a duplicate member name, invalid UTF-8,
// a lone surrogate or a number beyond the double range is ErrNotCanonical.
func Canonical(data []byte) ([]byte, error) {
	v, err := parse(data)
	if err != nil {
		return nil, err
	}
	return v.appendTo(nil), nil
}

// value is a parsed JSON value.
type value struct {
	kind    byte // 'o' object, 'a' array, 's' string, 'n' number, 'l' literal
	str     string
	members []member // object, in input order
	elems   []value  // array
}

type member struct {
	name string
	val  value
}

// maxDepth bounds nesting so a hostile input cannot exhaust the stack.
const maxDepth = 64

func parse(data []byte) (value, error) {
	if !utf8.Valid(data) {
		return value{}, fmt.Errorf("%w: invalid UTF-8", ErrNotCanonical)
	}
	p := &parser{b: data}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return value{}, err
	}
	p.space()
	if p.i != len(p.b) {
		return value{}, p.fail("text after the value")
	}
	return v, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("%w: offset %d: %s", ErrNotCanonical, p.i, what)
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) value(depth int) (value, error) {
	if depth > maxDepth {
		return value{}, p.fail("nested too deep")
	}
	if p.i >= len(p.b) {
		return value{}, p.fail("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		return value{kind: 's', str: s}, err
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []string{"true", "false", "null"} {
		if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
			p.i += len(lit)
			return value{kind: 'l', str: lit}, nil
		}
	}
	return value{}, p.fail("not a JSON value")
}

func (p *parser) object(depth int) (value, error) {
	p.i++ // {
	v := value{kind: 'o'}
	seen := map[string]bool{}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return v, p.fail("want a member name")
		}
		name, err := p.string()
		if err != nil {
			return v, err
		}
		if seen[name] {
			return v, p.fail(fmt.Sprintf("member %q given twice", name))
		}
		seen[name] = true
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return v, p.fail("want ':'")
		}
		p.i++
		p.space()
		mv, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		v.members = append(v.members, member{name, mv})
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return v, nil
		}
		return v, p.fail("want ',' or '}'")
	}
}

func (p *parser) array(depth int) (value, error) {
	p.i++ // [
	v := value{kind: 'a'}
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return v, nil
	}
	for {
		p.space()
		e, err := p.value(depth + 1)
		if err != nil {
			return v, err
		}
		v.elems = append(v.elems, e)
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return v, nil
		}
		return v, p.fail("want ',' or ']'")
	}
}

// string reads a JSON string, rejecting control characters and lone
// surrogates.
func (p *parser) string() (string, error) {
	p.i++ // "
	var out []byte
	for {
		if p.i >= len(p.b) {
			return "", p.fail("unterminated string")
		}
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", p.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", p.fail("unterminated escape")
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || !bytes.HasPrefix(p.b[p.i:], []byte(`\u`)) {
					return "", p.fail("lone surrogate")
				}
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				if r2 < 0xdc00 || r2 > 0xdfff {
					return "", p.fail("lone surrogate")
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", p.fail("bad escape")
		}
	}
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.b) {
		return 0, p.fail("short \\u escape")
	}
	n, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 16)
	if err != nil {
		return 0, p.fail("bad \\u escape")
	}
	p.i += 4
	return rune(n), nil
}

// number reads a number by JSON's grammar and keeps it as the double it is.
func (p *parser) number() (value, error) {
	start := p.i
	if p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case digits() == 0:
		return value{}, p.fail("bad number")
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return value{}, p.fail("bad number")
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return value{}, p.fail("bad number")
		}
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	if err != nil || math.IsInf(f, 0) {
		return value{}, p.fail("number out of the double range")
	}
	return value{kind: 'n', str: es6Number(f)}, nil
}

// es6Number writes f as ECMAScript's Number.prototype.toString does
// (RFC 8785 section 3.2.2.3).
func es6Number(f float64) string {
	if f == 0 {
		return "0" // also -0
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := bytes.Cut([]byte(s), []byte("e"))
	sign := exp[0]
	digits := bytes.TrimLeft(exp[1:], "0")
	return string(mant) + "e" + string(sign) + string(digits)
}

func (v value) appendTo(b []byte) []byte {
	switch v.kind {
	case 'o':
		ms := slices.Clone(v.members)
		slices.SortFunc(ms, func(a, b member) int { return compareUTF16(a.name, b.name) })
		b = append(b, '{')
		for i, m := range ms {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.name)
			b = append(b, ':')
			b = m.val.appendTo(b)
		}
		return append(b, '}')
	case 'a':
		b = append(b, '[')
		for i, e := range v.elems {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.appendTo(b)
		}
		return append(b, ']')
	case 's':
		return appendString(b, v.str)
	}
	return append(b, v.str...)
}

// compareUTF16 orders strings by their UTF-16 code units, as JCS sorts
// member names (which differs from UTF-8 byte order above U+FFFF).
func compareUTF16(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
