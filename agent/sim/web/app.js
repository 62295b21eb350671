// The evalpad simulator page: shows the pad's screen as the panel gets it,
// sends star presses and touches, plays the counter's business system, and
// shows the receipts the printer put out. Updates come over SSE.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const words = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"};
  let info = null, current = null, receiptJob = 0;

  async function call(method, path, body) {
    const r = await fetch(path, {method, headers: body ? {"Content-Type": "application/json"} : {},
      body: body ? JSON.stringify(body) : undefined});
    let data = {};
    try { data = await r.json(); } catch (e) { /* empty body */ }
    if (!r.ok) throw new Error(data.error || r.status + " " + r.statusText);
    return data;
  }
  function say(text) { $("msg").textContent = text || ""; }

  function drawStars() {
    const box = $("stars");
    box.innerHTML = "";
    for (const n of info.star_order) {
      const b = document.createElement("button");
      b.id = "star-" + n;
      b.className = n >= 4 ? "good" : n === 3 ? "mid" : "bad";
      b.textContent = "★".repeat(n) + " " + words[n];
      b.title = n + "★ " + words[n];
      b.addEventListener("click", () => call("POST", "/sim/press/" + n).then((o) => say(o.result === "no_session" ? "没有待评价的业务（无会话按键已计数）" : ""), (e) => say(e.message)));
      box.appendChild(b);
    }
  }

  function showState(st) {
    current = st;
    $("screen").src = "/sim/screen.png?v=" + st.version;
    const v = st.view;
    const s = v.session;
    $("session").textContent = s ? `会话 ${s.session_id}（${{single: "单件", batch: "批量", theme: "主题式"}[s.mode]}）\n` +
      s.cases.map((c) => `· ${c.project_no} ${c.task_name}${(s.rated || []).includes(c.project_no) ? " ✓" : ""}`).join("\n") : "未开启评价";
    $("print").disabled = !(s || lastSession);
    $("status").textContent = `屏幕: ${v.screen} · 待上传: ${st.outbox.pending} · 最近记录: ${v.last_record ? v.last_record.seq + " (" + v.last_record.stars + "★)" : "无"}` +
      (v.fault ? ` · 故障 ${v.fault.code}` : "");
    $("faults").textContent = (st.faults || []).length ? "需处理：" + st.faults.join("；") : "";
    document.body.dataset.screen = v.screen;
    $("read").disabled = v.screen !== "reasons";
  }

  let lastSession = null, seq = 0;
  function sample(mode) {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, "");
    const id = `S-${day}-${Date.now().toString(36)}-${++seq}`;
    const no = (k) => "370900" + day + String(Date.now() % 100000).padStart(5, "0") + k;
    const items = {
      single: [["T001", "企业设立登记"]],
      batch: [["T002", "个体工商户登记"], ["T002", "个体工商户登记"], ["T002", "个体工商户登记"]],
      theme: [["T101", "餐饮店开办：营业执照"], ["T102", "食品经营许可"], ["T103", "公共场所卫生许可"]],
    }[mode];
    return {session_id: id, mode, staff: {id: info.staff_id || "TA0123", name: info.staff_name || "李四"},
      cases: items.map(([code, name], i) => ({project_no: no(i), task_code: code, task_name: name}))};
  }
  for (const mode of ["single", "batch", "theme"]) {
    $("open-" + mode).addEventListener("click", async () => {
      const s = sample(mode);
      try { await call("POST", "/api/v1/sessions", s); lastSession = s; say(""); } catch (e) { say(e.message); }
    });
  }
  $("print").addEventListener("click", async () => {
    const s = (current && current.view.session) || lastSession;
    if (!s) return;
    const c = s.cases[0];
    try { await call("POST", "/api/v1/receipts", {project_no: c.project_no, task_name: c.task_name, staff_id: s.staff.id}); say(""); }
    catch (e) { say(e.message); }
  });

  $("screen").addEventListener("click", (ev) => {
    const img = ev.currentTarget, r = img.getBoundingClientRect();
    const x = Math.floor((ev.clientX - r.left) * img.naturalWidth / r.width);
    const y = Math.floor((ev.clientY - r.top) * img.naturalHeight / r.height);
    call("POST", "/sim/touch", {x, y}).catch((e) => say(e.message));
  });

  function showReceipt(job) {
    if (!job || job === receiptJob) return;
    receiptJob = job;
    const img = $("receipt");
    img.hidden = false;
    img.src = "/sim/receipts/latest.png?job=" + job;
    img.dataset.job = job;
  }

  // The pad's voice: each clip it plays comes as a "voice" event and plays
  // here; body[data-voice] lists the keys whose clip started playing.
  const heard = [];
  let speaking = null;
  function playVoice(key) {
    if (speaking) speaking.pause(); // the pad cut it for a newer cue
    const a = speaking = new Audio("/sim/voice/clips/" + encodeURIComponent(key));
    a.addEventListener("playing", () => {
      heard.push(key);
      document.body.dataset.voice = heard.join(" ");
      $("voice").textContent = "🔊 " + key;
    }, {once: true});
    a.play().catch((e) => { $("voice").textContent = "声音未播放（" + e.name + "）：点击页面后浏览器才允许播放"; });
  }
  $("read").addEventListener("click", () => call("POST", "/sim/voice/read").then(() => say(""), (e) => say(e.message)));

  function connect() {
    const es = new EventSource("/sim/events");
    es.addEventListener("state", (e) => showState(JSON.parse(e.data)));
    es.addEventListener("receipt", (e) => showReceipt(JSON.parse(e.data).job));
    es.addEventListener("voice", (e) => playVoice(JSON.parse(e.data).key));
    es.onopen = () => { $("conn").textContent = "已连接"; $("conn").classList.remove("off"); };
    es.onerror = () => { $("conn").textContent = "连接中断，重连中…"; $("conn").classList.add("off"); };
  }

  call("GET", "/sim/info").then((i) => { info = i; drawStars(); connect(); if (i.receipt_job) showReceipt(i.receipt_job); }, (e) => say(e.message));
})();
