// Two or more runs: one curve of each overlaid, and the config keys where they differ.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const names = (new URLSearchParams(location.search).get("runs") || "").split(",").filter(Boolean);
  let data = null;

  function colour(i) { const [r, g, b] = Lab.classColour(i); return `rgb(${r},${g},${b})`; }

  function draw() {
    const metric = $("[data-testid=metric]").value;
    const series = names.map((n, i) => {
      const points = (data.curves[n] || {})[metric] || [];
      return {label: "", colour: colour(i), x: points.map(p => p[0]), y: points.map(p => p[1])};
    });
    Lab.chart($("[data-testid=overlay-chart]"), series);
    document.body.dataset.overlaid = String(series.filter(s => s.x.length).length);
  }

  Lab.api("/compare?runs=" + names.map(encodeURIComponent).join(","), undefined, {method: "GET"}).then(d => {
    data = d;
    const keys = [...new Set(Object.values(d.curves).flatMap(c => Object.keys(c)))].sort();
    const menu = $("[data-testid=metric]");
    for (const k of keys) menu.add(new Option(k, k));
    menu.value = keys.includes("val_loss") ? "val_loss" : keys[0];
    menu.addEventListener("change", draw);
    const legend = $("[data-testid=legend]");
    names.forEach((n, i) => { const s = document.createElement("span"); s.style.setProperty("--c", colour(i)); s.textContent = `${n} (${(d.cards[n] || {}).status})`; legend.append(s); });
    const table = $("[data-testid=config-diff]");
    const head = table.insertRow(); head.insertCell().textContent = "key";
    names.forEach((n, i) => { const c = head.insertCell(); c.textContent = n; c.style.color = colour(i); });
    const diff = Object.entries(d.diff);
    for (const [key, values] of diff) {
      const row = table.insertRow(); row.setAttribute("data-testid", "diff-row"); row.insertCell().textContent = key;
      for (const n of names) row.insertCell().textContent = JSON.stringify(values[n]);
    }
    if (!diff.length) table.insertRow().insertCell().textContent = "the configs are the same";
    draw();
  }).catch(() => {});
})();
