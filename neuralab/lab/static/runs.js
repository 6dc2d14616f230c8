// The runs dashboard: every run folder's card, sortable and filterable; start a training; the job list.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  let cards = [], sortKey = "started", descending = true, recipes = [];
  const selected = new Set();

  function value(card, key) {
    if (key in (card.metrics || {})) return card.metrics[key];
    if (["test_accuracy", "test_loss", "val_loss"].includes(key)) return null;
    return card[key];
  }

  function runLink(name) { return "/run?name=" + encodeURIComponent(name) + (Lab.TOKEN ? "&token=" + encodeURIComponent(Lab.TOKEN) : ""); }

  function cell(row, text, cls) { const td = row.insertCell(); td.textContent = text; if (cls) td.className = cls; return td; }

  function render() {
    const words = $("[data-testid=filter]").value.trim().toLowerCase(), wanted = $("[data-testid=status-filter]").value;
    const shown = cards.filter(c => (!wanted || c.status === wanted) &&
      (!words || [c.name, c.recipe, c.engine, c.status].join(" ").toLowerCase().includes(words)));
    shown.sort((a, b) => {
      const x = value(a, sortKey), y = value(b, sortKey);
      const order = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
      return descending ? -order : order;
    });
    const body = $("[data-testid=runs-table] tbody");
    body.innerHTML = "";
    for (const c of shown) {
      const row = body.insertRow();
      row.dataset.testid = "run-row"; row.setAttribute("data-testid", "run-row"); row.dataset.name = c.name;
      const box = document.createElement("input"); box.type = "checkbox"; box.checked = selected.has(c.name);
      box.setAttribute("data-testid", "select-run");
      box.addEventListener("change", () => { box.checked ? selected.add(c.name) : selected.delete(c.name); updateCompare(); });
      row.insertCell().append(box);
      const link = document.createElement("a"); link.href = runLink(c.name); link.textContent = c.name;
      const first = row.insertCell(); first.append(link);
      if (c.error) { const e = document.createElement("div"); e.className = "card-error"; e.setAttribute("data-testid", "card-error"); e.textContent = c.error; first.append(e); }
      cell(row, c.recipe || "?"); cell(row, c.engine || "?");
      const st = cell(row, c.status || "unreadable", "status " + (c.status || "unreadable")); st.setAttribute("data-testid", "status");
      cell(row, c.targets_met === null || c.targets_met === undefined ? "–" : c.targets_met ? "met" : "missed",
           c.targets_met === false ? "missed" : c.targets_met ? "met" : "");
      cell(row, c.epoch !== undefined && c.epoch !== null ? `${c.epoch}/${c.epochs || "?"}` : "–", "num");
      for (const key of ["test_accuracy", "test_loss", "val_loss"]) cell(row, Lab.fmt((c.metrics || {})[key], 4), "num");
      cell(row, (c.started || "").replace("T", " "));
    }
    $("[data-testid=count]").textContent = String(cards.length);
    document.querySelectorAll("th[data-sort]").forEach(th => th.classList.toggle("sorted", th.dataset.sort === sortKey));
  }

  function updateCompare() {
    const button = $("[data-testid=compare]");
    button.disabled = selected.size < 2;
    button.textContent = `overlay selected (${selected.size})`;
  }

  function renderJobs(jobs) {
    const body = $("[data-testid=jobs-table] tbody");
    body.innerHTML = "";
    if (!jobs.length) { body.insertRow().insertCell().textContent = "none yet"; return; }
    for (const job of jobs.slice().reverse()) {
      const row = body.insertRow(); row.setAttribute("data-testid", "job-row"); row.dataset.state = job.state;
      cell(row, "#" + job.id); cell(row, job.command);
      cell(row, job.state, "status " + job.state).setAttribute("data-testid", "job-state");
      const where = row.insertCell();
      if (job.run) { const a = document.createElement("a"); a.href = runLink(job.run); a.textContent = job.run; where.append(a); }
      const act = row.insertCell();
      if (job.state === "running" || job.state === "queued") {
        const stop = document.createElement("button"); stop.textContent = "stop"; stop.setAttribute("data-testid", "job-stop");
        stop.addEventListener("click", () => Lab.api(`/jobs/${job.id}/stop`, {}).then(refresh).catch(() => {}));
        act.append(stop);
      }
      if (job.error) { const e = document.createElement("pre"); e.className = "card-error"; e.textContent = job.error; where.append(e); }
    }
  }

  async function refresh() {
    try {
      const data = await Lab.api("/runs", undefined, {method: "GET", keepError: true});
      cards = data.runs; $("[data-testid=root]").textContent = data.root;
      render(); renderJobs(data.jobs);
      document.body.dataset.loaded = "true";
    } catch (error) { /* shown in the error box */ }
  }

  async function loadRecipes() {
    const data = await Lab.api("/recipes", undefined, {method: "GET"});
    recipes = data.recipes;
    const menu = $("[data-testid=start-recipe]");
    for (const r of recipes) menu.add(new Option(`${r.name} (${r.task})`, r.name));
    for (const e of data.engines) $("[data-testid=start-engine]").add(new Option(e, e));
    const about = () => { const r = recipes.find(x => x.name === menu.value); $("[data-testid=recipe-about]").textContent = r ? `${r.summary}; ${r.epochs || "?"} epochs by default` : ""; };
    menu.addEventListener("change", about); about();
  }

  $("[data-testid=start-form]").addEventListener("submit", async event => {
    event.preventDefault();
    const number = sel => { const t = $(sel).value.trim(); return t === "" ? null : Number(t); };
    const body = {recipe: $("[data-testid=start-recipe]").value, engine: $("[data-testid=start-engine]").value || null,
                  epochs: number("[data-testid=start-epochs]"), seed: number("[data-testid=start-seed]"),
                  overrides: $("[data-testid=start-overrides]").value.split("\n").map(s => s.trim()).filter(Boolean)};
    try { await Lab.api("/jobs/train", body); refresh(); } catch (error) { /* the CLI's message is on show */ }
  });
  $("[data-testid=filter]").addEventListener("input", render);
  $("[data-testid=status-filter]").addEventListener("change", render);
  document.querySelectorAll("th[data-sort]").forEach(th => th.addEventListener("click", () => {
    descending = th.dataset.sort === sortKey ? !descending : th.dataset.sort === "started";
    sortKey = th.dataset.sort; render();
  }));
  $("[data-testid=compare]").addEventListener("click", () => {
    location.href = "/compare?runs=" + [...selected].map(encodeURIComponent).join(",") + (Lab.TOKEN ? "&token=" + encodeURIComponent(Lab.TOKEN) : "");
  });
  loadRecipes().catch(() => {});
  refresh();
  setInterval(refresh, 1000);
})();
