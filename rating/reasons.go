package rating

import (
	"fmt"
	"slices"
)

// Reason is one 差评 indicator: the national code and its text.
type Reason struct {
	Code string `json:"code" toml:"code"`
	Text string `json:"text" toml:"text"`
}

// Reasons holds the 差评 reason lists for 1★ and 2★.
type Reasons struct {
	One []Reason `json:"1" toml:"1"`
	Two []Reason `json:"2" toml:"2"`
}

// DefaultReasons returns the national indicator lists (the default; config may
// replace them). The slices are fresh copies.
func DefaultReasons() Reasons {
	return Reasons{
		One: []Reason{
			{"108", "在办事指南之外增加新的审批条件"},
			{"109", "需提供办事指南之外的申报材料"},
			{"110", "无理由超过法定办理时间"},
			{"111", "办事指南提供样本有错"},
			{"112", "承诺在线收取申报材料实际无法收取"},
			{"113", "多头跑窗口和部门"},
			{"114", "跑动次数与承诺的不一致"},
			{"115", "服务态度差效率低"},
		},
		Two: []Reason{
			{"207", "没有提供材料样本"},
			{"208", "没有提供材料清单"},
			{"209", "未在承诺时间内办结"},
			{"210", "同样内容的证明材料被要求多次提交"},
			{"211", "承诺网办但无法在线办理"},
			{"212", "在线预约办理后到实体大厅重复取号排队"},
			{"213", "窗口人员业务不熟练"},
			{"214", "服务态度生硬"},
		},
	}
}

// For returns the reasons offered for a 差评 of s, nil for 好评 levels.
func (r Reasons) For(s Stars) []Reason {
	switch s {
	case 1:
		return r.One
	case 2:
		return r.Two
	}
	return nil
}

// Has reports whether code is one of the reasons for s.
func (r Reasons) Has(s Stars, code string) bool {
	return slices.ContainsFunc(r.For(s), func(x Reason) bool { return x.Code == code })
}

// Check validates codes against the list for s: every code known for that
// level, none twice. The error names the first bad code.
func (r Reasons) Check(s Stars, codes []string) error {
	for i, c := range codes {
		if !r.Has(s, c) {
			return fmt.Errorf("%w: %q is not a reason for %d★", ErrUnknownReason, c, int(s))
		}
		if slices.Contains(codes[:i], c) {
			return fmt.Errorf("%w: %q given twice", ErrUnknownReason, c)
		}
	}
	return nil
}

// Validate checks a configured list: both levels non-empty, codes and texts
// non-empty and without control or format characters (CheckText), codes
// unique across both levels.
func (r Reasons) Validate() error {
	seen := map[string]bool{}
	for _, lv := range []struct {
		name string
		list []Reason
	}{{"1", r.One}, {"2", r.Two}} {
		if len(lv.list) == 0 {
			return fmt.Errorf("reasons.%s: empty: a 差评 needs at least one reason to choose", lv.name)
		}
		if len(lv.list) > MaxReasons {
			return fmt.Errorf("reasons.%s: %d reasons, at most %d fit the screen", lv.name, len(lv.list), MaxReasons)
		}
		for i, x := range lv.list {
			switch {
			case x.Code == "" || len(x.Code) > 16:
				return fmt.Errorf("reasons.%s[%d].code: must be 1 to 16 characters", lv.name, i)
			case x.Text == "" || len([]rune(x.Text)) > 40:
				return fmt.Errorf("reasons.%s[%d].text: must be 1 to 40 characters", lv.name, i)
			case seen[x.Code]:
				return fmt.Errorf("reasons.%s[%d].code: %q used twice", lv.name, i, x.Code)
			}
			if err := CheckText(x.Code); err != nil {
				return fmt.Errorf("reasons.%s[%d].code: %w", lv.name, i, err)
			}
			if err := CheckText(x.Text); err != nil {
				return fmt.Errorf("reasons.%s[%d].text: %w", lv.name, i, err)
			}
			seen[x.Code] = true
		}
	}
	return nil
}

// MaxReasons is how many reasons one level may offer (what fits the screen).
const MaxReasons = 12
