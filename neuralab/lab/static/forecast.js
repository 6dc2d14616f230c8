// Forecast: a forecaster run's one-step forecasts against the actual series and the naive
// baselines (the held-out tail, or a pasted series plus steps rolled past its end).
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const LINES = {actual: ["actual", "#222"], model: ["model", "#0877bd"], naive: ["naive (previous value)", "#f59322"],
                 seasonal_naive: ["seasonal naive", "#8c8c8c"], ahead: ["model, rolled past the end", "#2ea043"]};
  let heldOut = null;

  function plot(series, boundary) {  // series: [{key, x: [...], y: [...]}]; boundary: x of the first forecast
    const canvas = $("[data-testid=forecast-chart]"), ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    const pad = {left: 48, right: 8, top: 10, bottom: 22};
    ctx.clearRect(0, 0, W, H);
    const xs = series.flatMap(s => s.x), ys = series.flatMap(s => s.y).filter(Number.isFinite);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)]; const margin = (y1 - y0) * 0.05 || 1; y0 -= margin; y1 += margin;
    const px = x => pad.left + (x - x0) / (x1 - x0) * (W - pad.left - pad.right);
    const py = y => pad.top + (1 - (y - y0) / (y1 - y0)) * (H - pad.top - pad.bottom);
    ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1; ctx.beginPath();
    ctx.moveTo(pad.left, pad.top); ctx.lineTo(pad.left, H - pad.bottom); ctx.lineTo(W - pad.right, H - pad.bottom); ctx.stroke();
    ctx.fillStyle = "#666"; ctx.font = "11px sans-serif"; ctx.textAlign = "right";
    for (const v of [y0 + margin, (y0 + y1) / 2, y1 - margin]) ctx.fillText(v.toPrecision(4), pad.left - 4, py(v) + 4);
    ctx.textAlign = "center";
    for (const v of [x0, Math.round((x0 + x1) / 2), x1]) ctx.fillText(String(v), px(v), H - 6);
    if (boundary !== null) {
      ctx.strokeStyle = "#ddd"; ctx.setLineDash([4, 4]); ctx.beginPath(); ctx.moveTo(px(boundary), pad.top); ctx.lineTo(px(boundary), H - pad.bottom); ctx.stroke(); ctx.setLineDash([]);
    }
    const legend = $("[data-testid=forecast-legend]"); legend.innerHTML = "";
    for (const s of series) {
      const [label, colour] = LINES[s.key];
      ctx.strokeStyle = colour; ctx.lineWidth = s.key === "actual" ? 1.2 : 1.6; ctx.beginPath();
      s.y.forEach((v, i) => { i ? ctx.lineTo(px(s.x[i]), py(v)) : ctx.moveTo(px(s.x[i]), py(v)); });
      ctx.stroke();
      const item = document.createElement("span"); item.style.setProperty("--c", colour); item.textContent = label; legend.append(item);
    }
    document.body.dataset.drawn = String(Number(document.body.dataset.drawn || 0) + 1);
    document.body.dataset.lines = series.map(s => s.key).join(",");
  }

  function table(errors) {
    const t = $("[data-testid=forecast-errors]"); t.innerHTML = "";
    const head = t.insertRow(); for (const h of ["", "MAE", "RMSE", "MAPE %"]) head.insertCell().textContent = h;
    for (const [key, e] of Object.entries(errors)) {
      const row = t.insertRow(); row.setAttribute("data-testid", "error-" + key);
      row.insertCell().textContent = LINES[key][0];
      for (const m of ["mae", "rmse", "mape"]) row.insertCell().textContent = Lab.fmt(e[m], 3);
    }
  }

  function show(answer) {
    const range = (from, n) => Array.from({length: n}, (_, i) => from + i);
    const series = [{key: "actual", x: range(0, answer.values.length), y: answer.values}];
    for (const [key, y] of Object.entries(answer.forecasts)) series.push({key, x: range(answer.start, y.length), y});
    if (answer.ahead && answer.ahead.length) {
      const n = answer.values.length;
      series.push({key: "ahead", x: range(n - 1, answer.ahead.length + 1), y: [answer.values[n - 1], ...answer.ahead]});
    }
    plot(series, answer.start);
    table(answer.errors);
  }

  async function request(body) {
    const run = $("[data-testid=forecast-run]").value;
    if (!run) return null;
    try { return await Lab.api("/models/forecast", Object.assign({run}, body)); } catch (error) { return null; }
  }

  async function showHeldOut() {
    heldOut = await request({});
    if (heldOut) { $("[data-testid=forecast-title]").textContent = `${heldOut.run}: the held-out tail from t = ${heldOut.start}`; show(heldOut); }
  }

  $("[data-testid=forecast-held-out]").addEventListener("click", showHeldOut);
  $("[data-testid=forecast-run]").addEventListener("change", showHeldOut);
  $("[data-testid=forecast-copy]").addEventListener("click", () => {
    if (heldOut) $("[data-testid=forecast-text]").value = heldOut.values.map(v => +v.toFixed(3)).join(", ");
  });
  $("[data-testid=forecast-paste]").addEventListener("click", async () => {
    const horizon = Number($("[data-testid=forecast-horizon]").value || 0);
    const answer = await request({text: $("[data-testid=forecast-text]").value, horizon});
    if (answer) { $("[data-testid=forecast-title]").textContent = `your series: ${answer.values.length} values, ${answer.ahead.length} steps ahead`; show(answer); }
  });

  Lab.api("/models/forecast", undefined, {method: "GET"}).then(data => {
    const menu = $("[data-testid=forecast-run]");
    for (const r of data.runs) menu.add(new Option(`${r.name} (${r.data}, lookback ${r.lookback})`, r.name));
    if (!data.runs.length) Lab.showError("no finished forecast run in the runs folder: start one on the Runs page (e.g. stock-lstm)");
    document.body.dataset.ready = "true";
    if (data.runs.length) showHeldOut();
  }).catch(() => {});
})();
