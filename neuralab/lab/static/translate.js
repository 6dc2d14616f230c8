// Translate: a human-written date -> the translate run's ISO output and its decoder cross-attention.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const EXAMPLES = ["Saturday, Nov 21 2026", "11/21/26", "2026.11.21", "3 March 1999", "July 4th, 1976"];
  let answer = null;

  function showHeads() {
    if (!answer) return;
    const layer = Number($("[data-testid=translate-layer]").value || answer.cross.length - 1), box = $("[data-testid=translate-heads]");
    box.innerHTML = "";
    answer.cross[layer].forEach((map, h) => {
      const figure = document.createElement("figure"), canvas = document.createElement("canvas"), caption = document.createElement("figcaption");
      canvas.setAttribute("data-testid", "translate-map");
      Lab.heatmap(canvas, map, answer.rows, [...answer.source], {max: 1});
      caption.textContent = `head ${h + 1}`;
      figure.append(canvas, caption); box.append(figure);
    });
  }

  async function translate(event) {
    if (event) event.preventDefault();
    const run = $("[data-testid=translate-run]").value;
    if (!run) return;
    try { answer = await Lab.api("/models/translate", {run, text: $("[data-testid=translate-input]").value}); }
    catch (error) { document.body.dataset.translated = "error"; return; }
    $("[data-testid=translate-output]").textContent = answer.output || "(empty)";
    const menu = $("[data-testid=translate-layer]"), keep = menu.value; menu.innerHTML = "";
    answer.cross.forEach((_, i) => menu.add(new Option(String(i + 1), String(i))));
    menu.value = keep && Number(keep) < answer.cross.length ? keep : String(answer.cross.length - 1);
    showHeads();
    document.body.dataset.translated = answer.output;
  }

  const examples = $("[data-testid=translate-examples]");
  EXAMPLES.forEach(text => {
    const button = document.createElement("button"); button.type = "button"; button.textContent = text;
    button.addEventListener("click", () => { $("[data-testid=translate-input]").value = text; translate(); });
    examples.append(button, " ");
  });
  $("[data-testid=translate-form]").addEventListener("submit", translate);
  $("[data-testid=translate-layer]").addEventListener("change", showHeads);
  $("[data-testid=translate-run]").addEventListener("change", () => translate());

  Lab.api("/models/translate", undefined, {method: "GET"}).then(data => {
    const menu = $("[data-testid=translate-run]");
    for (const r of data.runs) menu.add(new Option(`${r.name} (test exact match ${Lab.fmt(r.test_exact_match, 3)})`, r.name));
    if (!data.runs.length) Lab.showError("no finished translate run in the runs folder: start one on the Runs page (dates-transformer)");
    document.body.dataset.ready = "true";
  }).catch(() => {});
})();
