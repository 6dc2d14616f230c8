// Generate: sample grids from a GAN, diffusion or VAE run, drawn by `neuralab sample` as a job.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const tokenQuery = Lab.TOKEN ? "token=" + encodeURIComponent(Lab.TOKEN) : "";

  function number(sel) { const t = $(sel).value.trim(); return t === "" ? null : Number(t); }

  async function follow(job) {
    const state = $("[data-testid=sample-state]");
    while (["queued", "running"].includes(job.state)) {
      state.textContent = `#${job.id} ${job.command}: ${job.state}…`;
      await new Promise(r => setTimeout(r, 400));
      job = await Lab.api(`/jobs/${job.id}`, undefined, {method: "GET"});
    }
    state.textContent = `#${job.id} ${job.command}: ${job.state}`;
    document.body.dataset.sampleState = job.state;
    if (job.state === "completed") {
      const img = $("[data-testid=sample-image]");
      img.onload = () => { document.body.dataset.sampled = "true"; };
      img.src = `/api/runs/${encodeURIComponent(job.run)}/files/figures/${encodeURIComponent(job.image)}?${tokenQuery}`;
      img.hidden = false;
    } else {
      Lab.showError(job.error || "the sample job " + job.state);
    }
  }

  $("[data-testid=sample-form]").addEventListener("submit", async event => {
    event.preventDefault();
    document.body.dataset.sampled = "false";
    const body = {run: $("[data-testid=gen-run]").value, n: number("[data-testid=gen-n]") ?? 64,
                  label: number("[data-testid=gen-label]"), seed: number("[data-testid=gen-seed]") ?? 0,
                  steps: number("[data-testid=gen-steps]"), guidance: number("[data-testid=gen-guidance]"),
                  prior: $("[data-testid=gen-prior]").value};
    try { await follow(await Lab.api("/jobs/sample", body)); } catch (error) { /* shown */ }
  });

  Lab.api("/runs", undefined, {method: "GET"}).then(data => {
    const menu = $("[data-testid=gen-run]");
    const runs = data.runs.filter(c => ["gan", "diffusion", "vae"].includes(c.task) && ["completed", "early_stopped"].includes(c.status));
    for (const c of runs) menu.add(new Option(`${c.name} (${c.task})`, c.name));
    if (!runs.length) Lab.showError("no finished GAN, diffusion or VAE run in the runs folder: start one on the Runs page (e.g. mnist-ddpm)");
    document.body.dataset.ready = "true";
  }).catch(() => {});
})();
