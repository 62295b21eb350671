// 差评处置 on the figures page: the open cases with their deadlines and
// audit log, and the live alerts (GET /api/v1/alerts?after=, polled).
// Uses $, esc, arr, str and get from app.js.
"use strict";

let alertsNext = "";
const liveAlerts = [];

function caseRow(c) {
  const log = arr(c.log)
    .map((l) => `<tr><td>${esc(str(l.at).slice(0, 19).replace("T", " "))}</td><td>${esc(l.action)}</td><td>${esc(l.by)}</td><td>${esc(l.from)} → ${esc(l.to)}</td><td>${esc(l.note)}</td></tr>`)
    .join("");
  const due = [c.appeal_due && "申诉截止 " + c.appeal_due, c.review_due && "复核截止 " + c.review_due, c.callback_due && "回访截止 " + c.callback_due]
    .filter(Boolean)
    .join("；");
  const over = arr(c.overdue).length ? `<span class="badtext">${esc(arr(c.overdue).join("、"))}</span>` : "";
  return `<tr data-id="${esc(c.id)}"><td>${esc(str(c.at).slice(0, 16).replace("T", " "))}</td><td>${esc(c.window)}</td><td>${esc(c.staff_name)}</td>` +
    `<td>${esc(c.stars)}★ ${esc(c.channel)}</td><td>${esc(c.state)}${c.appeal ? " · 申诉" + esc(c.appeal) : ""}${c.mark ? " · " + esc(c.mark) : ""}</td>` +
    `<td>${esc(due)}${c.calendar_missing ? " 缺少该年节假日安排" : ""} ${over}</td>` +
    `<td><details><summary>处置记录</summary><table class="log"><tbody>${log}</tbody></table></details></td></tr>`;
}

async function refreshComplaints() {
  if (!sessionStorage.getItem(TOKEN)) return;
  try {
    const open = await get("/api/v1/complaints", new URLSearchParams([["open", "1"], ["limit", "50"]]));
    // The log of each listed case (one request each, 50 at most).
    const full = await Promise.all(arr(open.complaints).map((c) => get(`/api/v1/complaints/${encodeURIComponent(c.id)}`, new URLSearchParams())));
    $("#complaints tbody").innerHTML = full.map(caseRow).join("") || `<tr><td colspan="7" class="muted">没有待处置的差评</td></tr>`;
    const a = await get("/api/v1/alerts", new URLSearchParams(alertsNext ? [["after", alertsNext]] : []));
    alertsNext = str(a.next);
    liveAlerts.unshift(...arr(a.alerts).reverse());
    liveAlerts.splice(20);
    $("#alerts").innerHTML = liveAlerts
      .map((x) => `<li class="${x.kind === "threshold" ? "badtext" : ""}">${esc(str(x.at).slice(11, 19))} ${esc(x.hall)} ${esc(x.window)}号窗口 ` +
        (x.kind === "threshold" ? `${esc(x.within_minutes)}分钟内${esc(x.count)}个差评` : `${esc(x.staff_name)} ${esc(x.stars)}★ 差评（${esc(x.channel)}）`) + "</li>")
      .join("");
  } catch (e) {
    $("#complaints-error").textContent = "出错：" + e.message;
  }
}
refreshComplaints();
setInterval(refreshComplaints, 3000);
