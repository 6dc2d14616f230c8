// One run: its live curves (an SSE stream of new metrics.jsonl rows), summary, figures, config; stop/resume.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const name = new URLSearchParams(location.search).get("name") || "";
  const tokenQuery = Lab.TOKEN ? "token=" + encodeURIComponent(Lab.TOKEN) : "";
  const COLOURS = {train: "#f59322", val: "#0877bd", test: "#2ea043"};
  let curves = {}, job = null, card = null;

  function series(metric) {
    // the test split is one evaluation at the end, not a curve: the summary shows it
    return Object.keys(curves).filter(k => k.endsWith("_" + metric) && !k.startsWith("test_")).map(k => {
      const split = k.slice(0, -metric.length - 1);
      return {label: split, colour: COLOURS[split] || "#888", x: curves[k].map(p => p[0]), y: curves[k].map(p => p[1])};
    });
  }

  function draw() {
    Lab.chart($("[data-testid=loss-chart]"), series("loss"));
    Lab.chart($("[data-testid=accuracy-chart]"), series("accuracy"));
    const lr = curves.lr || [];
    Lab.chart($("[data-testid=lr-chart]"), [{label: "lr", colour: "#555", x: lr.map(p => p[0]), y: lr.map(p => p[1])}]);
    const points = Object.values(curves).reduce((n, c) => n + c.length, 0);
    $("[data-testid=points]").textContent = String(points);
    const train = curves.train_loss || [];
    document.body.dataset.lastEpoch = train.length ? String(train[train.length - 1][0]) : "0";
  }

  window.__arrivals = {};  // epoch -> Date.now() when its train point arrived (bench/lab_runs.py reads it)

  function addRows({reset, curves: fresh}) {
    if (reset) curves = {};
    for (const [epoch] of fresh.train_loss || []) window.__arrivals[epoch] = Date.now();
    for (const [key, points] of Object.entries(fresh)) curves[key] = (curves[key] || []).concat(points);
    draw();
  }

  function showCard(c, j) {
    card = c; job = j;
    $("[data-testid=run-status]").textContent = c.status || "unreadable";
    $("[data-testid=run-status]").className = "status " + (c.status || "");
    $("[data-testid=run-recipe]").textContent = `${c.recipe || "?"} · ${c.engine || "?"}`;
    $("[data-testid=run-epoch]").textContent = `${c.epoch ?? "–"}/${c.epochs || "?"}`;
    $("[data-testid=run-target]").textContent = c.targets_met === null || c.targets_met === undefined ? "–" : c.targets_met ? "met" : "missed";
    const problems = [c.error, c.message && c.status !== "completed" ? c.message : null,
                      j && j.state === "failed" ? "the training process failed: " + j.error : null].filter(Boolean);
    const box = $("[data-testid=run-error]"); box.textContent = problems.join("\n"); box.hidden = !problems.length;
    const running = j && (j.state === "running" || j.state === "queued");
    $("[data-testid=stop]").hidden = !running;
    $("[data-testid=resume]").hidden = running || c.status === "running" || !["interrupted", "failed"].includes(c.status);
    $("[data-testid=job-tail]").textContent = j ? `#${j.id} ${j.command}: ${j.state}\n` + (j.tail || []).join("\n") : "started outside this lab";
    document.body.dataset.status = c.status || "";
  }

  function showDetail(detail) {
    showCard(detail.card, detail.job);
    const table = $("[data-testid=summary]"); table.innerHTML = "";
    const summary = detail.summary || {};
    const lines = Object.entries(summary.metrics || {}).map(([k, v]) => [k, Lab.fmt(v, 4)]);
    for (const [k, v] of Object.entries(summary.targets || {}))
      lines.push([`target ${k} ${v.op || ">="} ${v.target}`, `${v.met ? "met" : "missed"} (${Lab.fmt(v.measured, 4)})`]);
    for (const k of ["status", "epochs", "wall_time_s", "parameters", "device"]) if (k in summary) lines.push([k, typeof summary[k] === "number" ? Lab.fmt(summary[k], k === "wall_time_s" ? 1 : 0) : String(summary[k])]);
    if (!lines.length) lines.push(["summary.json", "not written yet"]);
    for (const [k, v] of lines) { const r = table.insertRow(); r.insertCell().textContent = k; r.insertCell().textContent = v; }
    $("[data-testid=config]").textContent = detail.config ? JSON.stringify(detail.config, null, 2) : "config.json missing or unreadable";
    const list = $("[data-testid=figures]"); list.innerHTML = "";
    for (const f of detail.figures) {
      const fig = document.createElement("figure"), img = document.createElement("img");
      img.src = `/api/runs/${encodeURIComponent(name)}/files/figures/${encodeURIComponent(f)}?${tokenQuery}&v=${Date.now()}`;
      img.alt = f; img.setAttribute("data-testid", "figure");
      const caption = document.createElement("figcaption"); caption.textContent = f;
      fig.append(img, caption); list.append(fig);
    }
  }

  async function load() {
    const detail = await Lab.api(`/runs/${encodeURIComponent(name)}`, undefined, {method: "GET"});
    $("[data-testid=run-name]").textContent = name;
    document.title = name + " · neuralab lab";
    showDetail(detail);
    return detail;
  }

  $("[data-testid=stop]").addEventListener("click", () => job && Lab.api(`/jobs/${job.id}/stop`, {}).catch(() => {}));
  $("[data-testid=resume]").addEventListener("click", () => Lab.api("/jobs/resume", {run: name}).catch(() => {}));

  load().then(() => {
    const source = new EventSource(`/api/runs/${encodeURIComponent(name)}/events?${tokenQuery}`);
    source.addEventListener("rows", e => addRows(JSON.parse(e.data)));
    let before = null;
    source.addEventListener("card", e => {
      const d = JSON.parse(e.data);
      const now = JSON.stringify([d.card.status, d.card.metrics, d.job && d.job.state, d.figures]);
      showCard(d.card, d.job);
      if (before !== null && before !== now) load().catch(() => {});  // new summary, figures or job state
      before = now;
    });
    document.body.dataset.ready = "true";
  }).catch(() => { document.body.dataset.ready = "error"; });
})();
