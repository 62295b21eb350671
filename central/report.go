package central

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"time"
)

// ComplaintCounts is the 差评处置 status of a hall's month for the report.
type ComplaintCounts struct {
	Opened     int // cases opened (差评 of the month)
	Verifying  int // 待核实
	Rectifying int // 整改中
	Rectified  int // 已整改, not yet called back
	Closed     int // 已回访
	Overdue    int // past a deadline (listed for 约谈)
	Upheld     int // appeals upheld: ratings marked 误评 or 恶意
}

// ComplaintSource gives the report its 差评处置 counts; the complaint
// cases live elsewhere (wired by the lead). Nil: the report says that
// they are not available in this build.
type ComplaintSource interface {
	ComplaintSummary(ctx context.Context, hall, month string) (ComplaintCounts, error)
}

// Report is a hall's monthly report: its figures, 差评处置 and rankings.
type Report struct {
	Hall, Month string
	Made        time.Time
	Figures     Figures
	Complaints  *ComplaintCounts // nil: no complaint source wired
	Staff, Win  Ranking
}

// MakeReport builds hall's report of month (YYYY-MM) from the rollups.
func MakeReport(ctx context.Context, st Store, cs ComplaintSource, hall, month string, now time.Time) (Report, error) {
	from, to, err := monthRange(month)
	if err != nil {
		return Report{}, err
	}
	rp := Report{Hall: hall, Month: month, Made: now}
	s, err := st.Stats(ctx, Filter{Hall: hall, From: from, To: to})
	if err != nil {
		return Report{}, fmt.Errorf("central: report: %w", err)
	}
	rp.Figures = s.Total
	for _, by := range []struct {
		by string
		to *Ranking
	}{{"staff", &rp.Staff}, {"window", &rp.Win}} {
		if *by.to, err = MakeRanking(ctx, st, RankingQuery{Filter: Filter{Hall: hall}, Month: month, By: by.by}); err != nil {
			return Report{}, err
		}
	}
	if cs != nil {
		c, err := cs.ComplaintSummary(ctx, hall, month)
		if err != nil {
			return Report{}, fmt.Errorf("central: report: 差评处置: %w", err)
		}
		rp.Complaints = &c
	}
	return rp, nil
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) },
	"low": func(rk Ranking, key string) bool {
		for _, p := range rk.Persistent {
			if p.Key == key {
				return true
			}
		}
		return false
	},
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Hall}} {{.Month}} 好差评月报</title>
<style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #999;margin-top:1.5em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:right}
th:first-child,td:first-child,td.k,th.k{text-align:left}.low{background:#fde2e2}.muted{color:#777}
.kpi{display:flex;gap:2em}.kpi div{font-size:1.6em}.kpi small{display:block;font-size:.55em;color:#555}
@page{size:A4;margin:1.5cm}
@media print{body{margin:0;font-size:11pt}.low{-webkit-print-color-adjust:exact;print-color-adjust:exact}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}
</style></head><body>
<h1>{{.Hall}} · {{.Month}} 好差评月报</h1>
<p class="muted">生成于 {{.Made.Format "2006-01-02 15:04"}}；评价人信息不收集、不显示。</p>
<h2>评价覆盖率与满意率</h2>
<div class="kpi">
<div id="case-satisfaction">{{pct .Figures.CaseSatisfaction}}<small>服务满意率（按办件）</small></div>
<div id="satisfaction">{{pct .Figures.Satisfaction}}<small>满意率（按评价）</small></div>
<div id="coverage">{{pct .Figures.CaseCoverage}}<small>评价覆盖率（按办件）</small></div>
<div>{{pct .Figures.Coverage}}<small>评价覆盖率（按评价）</small></div>
</div>
<p>评价 {{.Figures.Rated}} 次（好评 {{.Figures.Good}}，差评 {{.Figures.Bad}}，默认好评 {{.Figures.Default}}，未评价 {{.Figures.Unrated}}）；办件 {{.Figures.Cases}} 件（好评 {{.Figures.GoodCases}}，差评 {{.Figures.BadCases}}）。</p>
<h2 id="complaints">差评处置</h2>
{{with .Complaints}}<table><tr><th>差评</th><th>待核实</th><th>整改中</th><th>已整改</th><th>已回访</th><th>逾期</th><th>申诉成立</th></tr>
<tr><td>{{.Opened}}</td><td>{{.Verifying}}</td><td>{{.Rectifying}}</td><td>{{.Rectified}}</td><td>{{.Closed}}</td><td>{{.Overdue}}</td><td>{{.Upheld}}</td></tr></table>
{{else}}<p class="muted">差评处置: not available in this build（本版本未接入差评处置数据）。</p>{{end}}
{{template "ranking" .Staff}}{{template "ranking" .Win}}
</body></html>
{{define "ranking"}}{{$rk := .}}<h2 id="ranking-{{.By}}">{{if eq .By "staff"}}工作人员{{else}}窗口{{end}}排名（按满意率 95% Wilson 下限）</h2>
<table><tr><th>名次</th><th class="k">{{if eq .By "staff"}}工号{{else}}窗口{{end}}</th><th class="k">{{if eq .By "staff"}}姓名{{else}}名称{{end}}</th><th>评价</th><th>好评</th><th>满意率</th><th>Wilson 下限</th><th>服务满意率（办件）</th></tr>
{{range .Ranked}}<tr{{if low $rk .Key}} class="low"{{end}}><td>{{.Rank}}</td><td class="k">{{.Key}}</td><td class="k">{{.Name}}</td><td>{{.Rated}}</td><td>{{.Good}}</td><td>{{pct .Satisfaction}}</td><td>{{pct .Wilson}}</td><td>{{pct .CaseSatisfaction}}</td></tr>
{{else}}<tr><td colspan="8" class="muted">本月无评价</td></tr>{{end}}</table>
<p>连续 {{.Periods}} 个月排名后 {{.Bottom}} 名：{{range $i, $p := .Persistent}}{{if $i}}、{{end}}<strong class="persistent">{{$p.Key}}{{with $p.Name}} {{.}}{{end}}</strong>{{else}}无{{end}}</p>{{end}}
`))

// Render writes the report as one printable HTML page (its CSS inline, no
// outside resources).
func (rp Report) Render() ([]byte, error) {
	var b bytes.Buffer
	if err := reportPage.Execute(&b, rp); err != nil {
		return nil, fmt.Errorf("central: report: %w", err)
	}
	return b.Bytes(), nil
}

// serveReport answers GET /report/{hall}/{month}: supervisors and
// operators any hall, a hall manager their own; others 403.
func (a *API) serveReport(w http.ResponseWriter, r *http.Request) {
	hall, month := r.PathValue("hall"), r.PathValue("month")
	if sc := ScopeOf(r); !sc.All() && !(sc.Role == RoleHall && sc.Hall == hall) {
		writeError(w, http.StatusForbidden, fmt.Errorf("%w: the report of %s is for its hall manager and supervisors", ErrOutOfScope, hall))
		return
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	rp, err := MakeReport(r.Context(), a.Store, a.Complaints, hall, month, now())
	var page []byte
	if err == nil {
		page, err = rp.Render()
	}
	switch {
	case errors.Is(err, ErrBadFilter):
		writeError(w, http.StatusBadRequest, err)
	case err != nil:
		a.fail(w, err)
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}
}
