// Generate, continued: the VAE's latent walk between two digits and a diffusion run's denoising strip.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  function number(sel) { const t = $(sel).value.trim(); return t === "" ? null : Number(t); }

  function image(bytes, [h, w], index, {frame = false, caption = null} = {}) {
    const canvas = document.createElement("canvas"); canvas.width = w * 2; canvas.height = h * 2;
    Lab.paint(canvas, bytes.subarray(index * h * w, (index + 1) * h * w), [h, w], b => [b, b, b]);
    if (frame) canvas.style.outline = "2px solid #f59322";
    if (caption === null) return canvas;
    const figure = document.createElement("figure"), text = document.createElement("figcaption");
    text.textContent = caption; figure.append(canvas, text); return figure;
  }

  async function walk() {
    const body = {run: $("[data-testid=walk-run]").value, start: number("[data-testid=walk-start]") ?? 3,
                  end: number("[data-testid=walk-end]") ?? 8, steps: number("[data-testid=walk-steps]") ?? 10,
                  rows: number("[data-testid=walk-rows]") ?? 3};
    if (!body.run) return;
    let answer;
    try { answer = await Lab.api("/models/vae/walk", body); } catch (error) { return; }
    const grid = $("[data-testid=walk-grid]"), walked = Lab.decode(answer.walk), ends = Lab.decode(answer.ends);
    grid.innerHTML = ""; grid.style.gridTemplateColumns = `repeat(${answer.steps + 2}, 56px)`;
    for (let r = 0; r < answer.rows; r++) {
      grid.append(image(ends, answer.shape, 2 * r, {frame: true}));
      for (let s = 0; s < answer.steps; s++) grid.append(image(walked, answer.shape, r * answer.steps + s));
      grid.append(image(ends, answer.shape, 2 * r + 1, {frame: true}));
    }
    document.body.dataset.walked = `${answer.rows}x${answer.steps}`;
  }

  async function strip() {
    const body = {run: $("[data-testid=strip-run]").value, label: number("[data-testid=strip-label]"),
                  seed: number("[data-testid=strip-seed]") ?? 0, frames: number("[data-testid=strip-frames]") ?? 8};
    if (!body.run) return;
    let answer;
    $("[data-testid=strip-about]").textContent = "denoising…";
    try { answer = await Lab.api("/models/diffusion/strip", body); } catch (error) { $("[data-testid=strip-about]").textContent = ""; return; }
    const box = $("[data-testid=strip-frames-box]"), frames = Lab.decode(answer.frames);
    box.innerHTML = "";
    answer.times.forEach((t, i) => box.append(image(frames, answer.shape, i, {caption: `t = ${t}`})));
    $("[data-testid=strip-about]").textContent = `${answer.sampler}${answer.label === null ? "" : `, label ${answer.label}`}: `
      + "from x_T (pure noise, left) to x_0 (right)";
    document.body.dataset.strip = String(answer.times.length);
  }

  $("[data-testid=walk]").addEventListener("click", walk);
  $("[data-testid=strip]").addEventListener("click", strip);

  Lab.api("/models/generative", undefined, {method: "GET"}).then(data => {
    for (const [sel, runs] of [["[data-testid=walk-run]", data.vae], ["[data-testid=strip-run]", data.diffusion]]) {
      const menu = $(sel);
      for (const r of runs) menu.add(new Option(`${r.name} (${r.data})`, r.name));
      if (!runs.length) menu.add(new Option("(no finished run of this kind)", ""));
    }
    document.body.dataset.modelsReady = "true";
  }).catch(() => {});
})();
