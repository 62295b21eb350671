// The figures page: plain JS and inline SVG, no library, no CDN.
"use strict";

const $ = (s) => document.querySelector(s);
const STARS = ["未评价", "1★ 非常不满意", "2★ 不满意", "3★ 基本满意", "4★ 满意", "5★ 非常满意"];
const STATUS = { waiting: "等待中", remind: "待提醒", defaulted: "已默认满意", calendar_missing: "缺少该年节假日安排，暂不默认" };
let group = "by_window";
let lastStats = null;

// What the API serves comes from the pads: read it as possibly anything.
const arr = (x) => (Array.isArray(x) ? x : []);
const str = (x) => (typeof x === "string" ? x : x == null ? "" : String(x));
const obj = (x) => (x && typeof x === "object" ? x : {});
// esc escapes a text for HTML, cut at 300 characters: no field a pad
// may send is longer, and one stored before that rule must not swamp the page.
function esc(s) {
  s = String(s ?? "");
  if (s.length > 300) s = s.slice(0, 300) + "…";
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}
function pct(x, rated) {
  return rated ? (x * 100).toFixed(1) + "%" : "–";
}
function query() {
  const p = new URLSearchParams();
  for (const el of $("#filters").elements) {
    if (el.name && el.value && el.name !== "report-month") p.set(el.name, el.value);
  }
  return p;
}
// The API token: asked for once, kept in this tab's sessionStorage only.
const TOKEN = "evalhub-token";
class Unauthorized extends Error {}
function showLogin(msg) {
  $("#main").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = msg || "";
  $("#login").elements.token.focus();
}
async function get(path, p) {
  const r = await fetch(path + "?" + p.toString(), { headers: { Authorization: "Bearer " + (sessionStorage.getItem(TOKEN) || "") } });
  const body = await r.json();
  if (r.status === 401 || r.status === 403 || r.status === 429) throw new Unauthorized(body.error || r.statusText);
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

// bars draws horizontal bars: items [{label, value, cls}].
function bars(items, opts = {}) {
  const w = 640, row = 26, left = opts.left || 150, h = Math.max(row * items.length + 8, 40);
  const max = Math.max(1, ...items.map((i) => i.value));
  let s = `<svg viewBox="0 0 ${w} ${h}" class="chart" role="img">`;
  if (!items.length) s += `<text x="10" y="24" class="muted">暂无数据</text>`;
  items.forEach((it, i) => {
    const y = 4 + i * row, bw = ((w - left - 60) * it.value) / max;
    s += `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(it.label)}</text>`;
    s += `<rect x="${left}" y="${y + 3}" width="${bw}" height="${row - 8}" class="${it.cls || ""}"><title>${esc(it.label)}: ${it.value}</title></rect>`;
    s += `<text x="${left + bw + 6}" y="${y + 17}">${it.value}</text>`;
  });
  return s + "</svg>";
}

// days draws stacked good/bad columns per day with the satisfaction line.
function days(list) {
  const w = 640, h = 220, pad = 30, n = list.length;
  if (!n) return `<svg viewBox="0 0 ${w} 40" class="chart"><text x="10" y="24" class="muted">暂无数据</text></svg>`;
  const max = Math.max(1, ...list.map((d) => d.good + d.bad + d.unrated));
  const cw = (w - 2 * pad) / n, bh = h - 2 * pad;
  let s = `<svg viewBox="0 0 ${w} ${h}" class="chart" role="img">`;
  let line = "", dots = "";
  list.forEach((d, i) => {
    const x = pad + i * cw + cw * 0.15, bw = cw * 0.7;
    const gh = (bh * d.good) / max, bdh = (bh * d.bad) / max, uh = (bh * d.unrated) / max;
    const base = h - pad;
    s += `<rect x="${x}" y="${base - gh}" width="${bw}" height="${gh}" class="good"><title>${d.key} 好评 ${d.good}</title></rect>`;
    s += `<rect x="${x}" y="${base - gh - bdh}" width="${bw}" height="${bdh}" class="bad"><title>${d.key} 差评 ${d.bad}</title></rect>`;
    s += `<rect x="${x}" y="${base - gh - bdh - uh}" width="${bw}" height="${uh}" class="none"><title>${d.key} 未评价 ${d.unrated}</title></rect>`;
    if (n <= 16 || i % Math.ceil(n / 16) === 0) {
      s += `<text x="${x + bw / 2}" y="${h - 10}" text-anchor="middle" class="small">${esc(d.key.slice(5))}</text>`;
    }
    if (d.rated) {
      const cx = x + bw / 2, cy = pad + bh * (1 - d.satisfaction);
      line += `${line ? "L" : "M"}${cx},${cy} `;
      dots += `<circle cx="${cx}" cy="${cy}" r="3" class="sat-dot"><title>${d.key} 满意率 ${pct(d.satisfaction, d.rated)}</title></circle>`;
    }
  });
  s += `<path d="${line}" class="sat-line"/>${dots}`;
  s += `<text x="${w - pad}" y="${pad - 10}" text-anchor="end" class="small">折线：满意率（顶端 100%）</text>`;
  return s + "</svg>";
}

function renderStats(s) {
  lastStats = s;
  const t = s.total;
  $("#case-satisfaction").textContent = pct(t.case_satisfaction, t.cases);
  $("#satisfaction").textContent = pct(t.satisfaction, t.rated);
  $("#coverage").textContent = pct(t.coverage, t.rated + t.unrated);
  $("#case-coverage").textContent = pct(t.case_coverage, t.cases + t.unrated_cases);
  $("#rated").textContent = t.rated;
  $("#good").textContent = t.good;
  $("#bad").textContent = t.bad;
  $("#unrated").textContent = t.unrated;
  $("#default").textContent = t.default;
  $("#chart-stars").innerHTML = bars(
    [5, 4, 3, 2, 1].map((k) => ({ label: STARS[k], value: s.stars[k], cls: k >= 3 ? "good" : "bad" })).concat([{ label: STARS[0], value: s.stars[0], cls: "none" }]),
    { left: 110 }
  );
  $("#chart-days").innerHTML = days(s.by_day);
  $("#chart-reasons").innerHTML = bars(arr(s.reasons).map((r) => ({ label: `${r.code} ${r.text}`, value: r.count, cls: "bad" })), { left: 300 });
  renderGroup();
}

function renderGroup() {
  if (!lastStats) return;
  const rows = lastStats[group] || [];
  $("#groups tbody").innerHTML = rows.length
    ? rows
        .map(
          (g) => `<tr><td>${esc(g.name && g.name !== g.key ? `${g.name}（${g.key}）` : g.key || "（无）")}</td>
<td>${g.records}</td><td>${g.good}</td><td class="${g.bad ? "badtext" : ""}">${g.bad}</td><td>${g.unrated}</td><td>${g.default}</td><td>${g.cases}</td>
<td class="sat"><span class="meter"><span style="width:${(g.case_satisfaction * 100).toFixed(1)}%"></span></span> ${pct(g.case_satisfaction, g.cases)}</td>
<td class="sat">${pct(g.satisfaction, g.rated)}</td></tr>`
        )
        .join("")
    : `<tr><td colspan="9" class="muted">暂无数据</td></tr>`;
}

// The years the calendar does not know: no default 4★ falls in them.
function renderCalendar(c) {
  const missing = Object.entries(obj(c.years)).filter(([, src]) => src === "missing").map(([y]) => y);
  $("#calendar").hidden = !missing.length;
  $("#calendar").textContent = missing.length
    ? `${missing.join("、")} 年的节假日安排未知：默认日落在这些年的办件暂不默认“满意”（状态 calendar_missing），请用 --holidays 提供官方安排（evalhub holidays check 年份）。`
    : "";
}

function renderUnrated(list) {
  $("#unrated-list tbody").innerHTML = list.length
    ? list
        .map(
          (u) => `<tr><td>${esc(u.session_id)}</td><td>${esc(u.window)}</td><td>${esc(u.staff)}</td><td>${esc(str(u.served).replace("T", " ").slice(0, 16))}</td>
<td>${esc(str(obj(u.deadlines).reminder).slice(0, 10))}</td><td>${esc(str(obj(u.deadlines).default).slice(0, 10))}</td><td class="st-${esc(u.status)}">${esc(STATUS[u.status] || u.status)}</td></tr>`
        )
        .join("")
    : `<tr><td colspan="7" class="muted">没有未评价的办件</td></tr>`;
}

function renderLatest(recs) {
  $("#latest tbody").innerHTML = recs.length
    ? recs
        .map(
          (r) => `<tr><td>${esc(str(r.at).replace("T", " ").slice(0, 19))}</td><td>${esc(r.window)}</td><td>${esc(obj(r.staff).name)}</td>
<td>${esc(arr(r.cases).map((c) => str(obj(c).task_name)).join("、"))}</td><td class="${r.kind === "unrated" ? "muted" : r.good ? "goodtext" : "badtext"}">${esc(STARS[r.stars] ?? r.stars)}</td>
<td>${esc(arr(r.reasons).map(str).join(" "))}</td><td class="muted">${esc(arr(r.flags).map(str).join(" "))}</td></tr>`
        )
        .join("")
    : `<tr><td colspan="7" class="muted">还没有评价：在评价器上按星</td></tr>`;
}

function age(s) {
  if (!s) return "–";
  if (s < 3600) return Math.round(s / 60) + " 分钟";
  if (s < 86400) return (s / 3600).toFixed(1) + " 小时";
  return (s / 86400).toFixed(1) + " 天";
}

// A pad's seq and clock report (GET /api/v1/devices/{id}/seq): asked for
// with the pad's 检查 button (each costs a scan of the pad's index), then
// kept up to date at most once a minute while the page is open.
const seqs = new Map(); // device → {at, rep, err}
async function loadSeqs(list) {
  const now = Date.now();
  await Promise.all(
    list
      .filter((d) => seqs.has(d.device_id) && now - seqs.get(d.device_id).at > 60000)
      .map(async (d) => {
        try {
          seqs.set(d.device_id, { at: now, rep: await get(`/api/v1/devices/${encodeURIComponent(d.device_id)}/seq`, new URLSearchParams()) });
        } catch (e) {
          if (e instanceof Unauthorized) throw e;
          seqs.set(d.device_id, { at: now, err: e.message });
        }
      })
  );
}
function ranges(rs) {
  return arr(rs).map((r) => (r[0] === r[1] ? `${r[0]}` : `${r[0]}–${r[1]}`)).join("、");
}
function seqCell(id) {
  const s = seqs.get(id);
  if (!s || !s.at) return `<button type="button" class="seq-check" data-id="${esc(id)}">检查</button>`;
  if (s.err) return `<span class="muted">${esc(s.err)}</span>`;
  const r = s.rep, bad = [];
  if (arr(r.missing).length) bad.push("缺 " + ranges(r.missing));
  if (arr(r.repeated).length) bad.push("重复 " + ranges(r.repeated));
  if (r.truncated) bad.push("……");
  if (r.before_provisioning) bad.push(`早于注册 ${r.before_provisioning} 条`);
  if (r.future) bad.push(`时间超前 ${r.future} 条`);
  return bad.length ? `<span class="badtext">${esc(bad.join("；"))}</span>` : `<span class="goodtext">${r.last_seq ? `1–${esc(r.last_seq)} 齐全` : "暂无记录"}</span>`;
}

let lastDevices = [];
function renderDevices(list) {
  lastDevices = list;
  $("#devices tbody").innerHTML = list.length
    ? list
        .map((d) => ({ ...d, status: obj(d.status) }))
        .map(
          (d) => `<tr><td>${esc(d.device_id)}</td><td class="${d.status.online ? "goodtext" : "badtext"}">${d.status.online ? "在线" : "离线"}</td>
<td>${esc(d.status.screen || "")}</td><td>${d.status.outbox ?? "–"}</td><td>${age(d.status.oldest_unacked_s)}</td><td>${esc(d.status.printer || "")}</td>
<td class="badtext">${esc(arr(d.status.faults).join("；"))}</td><td>${esc(d.status.firmware || "")}</td><td>${esc(str(d.received_at).replace("T", " ").slice(0, 19))}</td>
<td>${seqCell(d.device_id)}</td></tr>`
        )
        .join("")
    : `<tr><td colspan="10" class="muted">还没有评价器上报状态</td></tr>`;
  for (const b of document.querySelectorAll("#devices button.seq-check")) {
    b.addEventListener("click", async () => {
      seqs.set(b.dataset.id, { at: 0 });
      b.disabled = true;
      await loadSeqs([{ device_id: b.dataset.id }]).catch(() => {});
      renderDevices(lastDevices);
    });
  }
}

function renderRejected(list) {
  const last = list.slice(-50).reverse();
  $("#rejected tbody").innerHTML = last.length
    ? last
        .map(
          (r) => `<tr><td>${esc(str(r.received_at).replace("T", " ").slice(0, 19))}</td><td>${esc(r.device_id)}</td>
<td class="small">${esc(r.id)}</td><td class="badtext">${esc(r.reason)}</td></tr>`
        )
        .join("")
    : `<tr><td colspan="4" class="muted">没有被拒收的记录</td></tr>`;
}

// Firmware rollouts: each with its counts per state and, unfolded, each pad's result.
const PAD_STATE = {
  pending: "待发送", sent: "已发送", downloading: "下载中", verifying: "校验中", installing: "安装中",
  trial: "试运行", good: "成功", rolled_back: "已回滚", failed: "失败", timed_out: "超时",
};
const ROLLOUT_STATE = { running: "进行中", halted: "已停止", done: "已完成" };
const openRollouts = new Set();
function target(t) {
  let s = t.devices && t.devices.length ? "设备 " + t.devices.join("、") : t.hall ? "大厅 " + t.hall : "全部评价器";
  return t.percent ? s + " 的 " + t.percent + "%" : s;
}
function padState(p) {
  const cls = p.state === "good" ? "goodtext" : ["rolled_back", "failed", "timed_out"].includes(p.state) ? "badtext" : "";
  let s = `<span class="${cls}">${esc(PAD_STATE[p.state] || p.state)}</span>`;
  if (p.state === "downloading" && p.total) s += ` ${Math.floor((100 * p.bytes) / p.total)}%`;
  return s;
}
function renderRollouts(list) {
  $("#rollouts tbody").innerHTML = list.length
    ? list
        .map((r) => {
          const counts = Object.keys(PAD_STATE)
            .filter((k) => r.counts[k])
            .map((k) => `${PAD_STATE[k]} ${r.counts[k]}`)
            .join("，");
          const state = `<span class="${r.state === "halted" ? "badtext" : r.state === "done" ? "goodtext" : ""}">${ROLLOUT_STATE[r.state] || esc(r.state)}</span>`;
          const pads = r.pads
            .map((p) => `<tr><td>${esc(p.device_id)}${p.canary ? ' <span class="muted">灰度</span>' : ""}</td><td>${padState(p)}</td><td class="badtext">${esc(p.error || "")}</td></tr>`)
            .join("");
          return `<tr data-id="${esc(r.id)}"><td>${esc(r.version)} <span class="muted">${esc(r.arch)}</span></td><td>${esc(target(r.target))}</td>
<td>${state}${r.reason ? `<div class="small badtext">${esc(r.reason)}</div>` : ""}</td>
<td><details data-id="${esc(r.id)}"${openRollouts.has(r.id) ? " open" : ""}><summary>${esc(counts)}</summary>
<table class="pads"><thead><tr><th>设备</th><th>结果</th><th>原因</th></tr></thead><tbody>${pads}</tbody></table></details></td>
<td>${esc(r.created_at.replace("T", " ").slice(0, 19))}</td></tr>`;
        })
        .join("")
    : `<tr><td colspan="5" class="muted">没有固件升级：evalhub firmware publish 后 evalhub firmware rollout</td></tr>`;
  for (const d of document.querySelectorAll("#rollouts details")) {
    d.addEventListener("toggle", () => (d.open ? openRollouts.add(d.dataset.id) : openRollouts.delete(d.dataset.id)));
  }
}

async function refresh() {
  if (!sessionStorage.getItem(TOKEN)) {
    showLogin();
    return;
  }
  const p = query();
  try {
    // The token's role and scope: a hall manager, a department or a staff
    // member sees the figures of their part only, and no pad or system list.
    scope = await get("/api/v1/whoami", new URLSearchParams());
    const all = scope.role === "supervisor" || scope.role === "operator";
    const none = Promise.resolve({});
    const [stats, unrated, latest, devices, rejected, rollouts, health] = await Promise.all([
      get("/api/v1/stats", p),
      get("/api/v1/unrated", p),
      get("/api/v1/records", new URLSearchParams([...p, ["order", "newest"], ["limit", "20"]])),
      all ? get("/api/v1/devices", new URLSearchParams()) : none,
      all ? get("/api/v1/rejected", new URLSearchParams()) : none,
      all ? get("/api/v1/rollouts", new URLSearchParams()) : none,
      get("/api/v1/health", new URLSearchParams()),
    ]);
    $("#login").hidden = true;
    $("#main").hidden = false;
    $("#scope").textContent = scopeText(scope);
    for (const s of document.querySelectorAll("section.admin")) s.hidden = !all;
    $("#report").hidden = $("#report-month").parentElement.hidden = !(all || scope.role === "hall");
    renderStats(stats);
    renderCalendar(obj(health.calendar));
    renderUnrated(arr(unrated.unrated));
    renderLatest(arr(latest.records));
    if (all) {
      await loadSeqs(arr(devices.devices));
      renderDevices(arr(devices.devices));
      renderRejected(arr(rejected.rejected));
      renderRollouts(arr(rollouts.rollouts));
    }
    $("#updated").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
  } catch (e) {
    if (e instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN);
      showLogin(e.message);
      return;
    }
    $("#updated").textContent = "出错：" + e.message;
  }
}

$("#login").addEventListener("submit", (e) => {
  e.preventDefault();
  const t = $("#login").elements.token.value.trim();
  if (t) sessionStorage.setItem(TOKEN, t);
  $("#login").elements.token.value = "";
  refresh();
});
$("#logout").addEventListener("click", (e) => {
  e.preventDefault();
  sessionStorage.removeItem(TOKEN);
  showLogin();
});

$("#filters").addEventListener("submit", (e) => {
  e.preventDefault();
  refresh();
});

let scope = {};
function scopeText(s) {
  switch (s.role) {
    case "hall":
      return "大厅负责人：" + s.hall;
    case "department":
      return "部门窗口：" + arr(s.windows).map((w) => obj(w).hall + "/" + obj(w).window).join("、");
    case "staff":
      return "工作人员：" + s.staff_id;
    default:
      return s.role === "operator" ? "运维" : "监督";
  }
}
// The monthly report (GET /report/{hall}/{month}) needs the token, so it is
// fetched and opened as a page of its own (printable).
$("#report").addEventListener("click", async () => {
  const hall = scope.role === "hall" ? scope.hall : $("#filters").elements.hall.value;
  const month = $("#report-month").value || new Date().toISOString().slice(0, 7);
  if (!hall) {
    $("#updated").textContent = "月报：先填写大厅";
    return;
  }
  const r = await fetch(`/report/${encodeURIComponent(hall)}/${month}`, { headers: { Authorization: "Bearer " + (sessionStorage.getItem(TOKEN) || "") } });
  if (!r.ok) {
    $("#updated").textContent = "月报：" + ((await r.json().catch(() => ({}))).error || r.statusText);
    return;
  }
  window.open(URL.createObjectURL(new Blob([await r.text()], { type: "text/html" })));
});
for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => {
    document.querySelectorAll("#tabs button").forEach((x) => x.classList.toggle("on", x === b));
    group = b.dataset.group;
    renderGroup();
  });
}
refresh();
setInterval(refresh, 5000);
