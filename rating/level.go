package rating

import "fmt"

// Stars is a rating level: 1 (非常不满意) to 5 (非常满意).
type Stars int

// MinStars and MaxStars bound a valid rating.
const (
	MinStars Stars = 1
	MaxStars Stars = 5
)

var words = [...]string{"", "非常不满意", "不满意", "基本满意", "满意", "非常满意"}

// Valid reports whether s is one of the five levels.
func (s Stars) Valid() bool { return s >= MinStars && s <= MaxStars }

// Good reports whether s is 好评: three stars and above.
// 好评 needs no further step; 差评 (two stars and below) asks for reasons.
func (s Stars) Good() bool { return s >= 3 && s <= MaxStars }

// Word is the level's name as the citizen reads it, e.g. 满意 for 4.
func (s Stars) Word() string {
	if !s.Valid() {
		return ""
	}
	return words[s]
}

func (s Stars) String() string {
	if !s.Valid() {
		return fmt.Sprintf("Stars(%d)", int(s))
	}
	return fmt.Sprintf("%d★ %s", int(s), words[s])
}
