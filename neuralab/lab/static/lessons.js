// The lessons, the verification report's verdicts, and one lesson run live as a child process.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const VERDICT = {holds: "met", partly: "partly", fails: "missed"};

  function counts(t) { return t ? `${t.holds} hold, ${t.partly} partly, ${t.fails} fail` : "–"; }

  function showRecord(box, job) {
    box.innerHTML = "";
    const head = document.createElement("p");
    head.innerHTML = `<b>${job.lesson}</b>: <span class="status ${job.state}" data-testid="lesson-state">${job.state}</span>`;
    box.append(head);
    const record = job.record;
    if (record && record.claims) {
      const table = document.createElement("table"); table.className = "runs"; table.setAttribute("data-testid", "verdicts");
      for (const claim of record.claims) {
        const row = table.insertRow(); row.setAttribute("data-testid", "verdict-row");
        row.insertCell().textContent = claim.id;
        const v = row.insertCell(); v.textContent = claim.verdict; v.className = VERDICT[claim.verdict] || "";
        row.insertCell().textContent = claim.claim;
      }
      box.append(table);
      if (record.error) { const e = document.createElement("pre"); e.className = "card-error"; e.textContent = record.error; box.append(e); }
    } else {
      const log = document.createElement("pre"); log.className = "log";
      log.textContent = (job.tail || []).join("\n") || (job.state === "queued" ? "waiting for the job queue…" : "running…");
      if (job.error) log.textContent = job.error;
      box.append(log);
    }
  }

  async function follow(job) {
    const box = $("[data-testid=lesson-run]");
    while (true) {
      showRecord(box, job);
      if (!["queued", "running"].includes(job.state)) return;
      await new Promise(r => setTimeout(r, 500));
      job = await Lab.api(`/jobs/${job.id}`, undefined, {method: "GET"});
    }
  }

  Lab.api("/lessons", undefined, {method: "GET"}).then(data => {
    const verified = {};
    const report = data.report;
    if (report && report.lessons) for (const r of report.lessons) verified[r.name] = r.tally;
    $("[data-testid=report-about]").textContent = report && report.lessons
      ? `verification report: ${data.report_path} (${report.quick ? "quick" : "full"} run, seed ${report.seed})`
      : report && report.error ? report.error : `no verification report at ${data.report_path}: run \`neuralab verify\` to write one`;
    const body = $("[data-testid=lessons-table] tbody");
    for (const lesson of data.lessons) {
      const row = body.insertRow(); row.setAttribute("data-testid", "lesson-row"); row.dataset.name = lesson.name;
      for (const text of [lesson.name, lesson.title, lesson.section, lesson.claims.join(" "), String(lesson.seconds), counts(verified[lesson.name])])
        row.insertCell().textContent = text;
      const button = document.createElement("button"); button.textContent = "run"; button.setAttribute("data-testid", "run-lesson");
      button.addEventListener("click", () => Lab.api("/jobs/lesson", {name: lesson.name}).then(follow).catch(() => {}));
      row.insertCell().append(button);
    }
    document.body.dataset.loaded = "true";
  }).catch(() => {});
})();
