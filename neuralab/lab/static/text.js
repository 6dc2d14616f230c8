// Text: stream characters from a language-model run, each tinted by the probability of its draw;
// for GPT runs, one head's causal self-attention over the prompt.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  let runs = [], reader = null, attention = null;

  function number(sel) { const t = $(sel).value.trim(); return t === "" ? null : Number(t); }

  function tint(p) {  // p near 1: no tint; p near 0: orange (a surprising draw)
    const t = Math.max(0, Math.min(1, 1 - p));
    return `rgba(245,147,34,${(t * 0.6).toFixed(2)})`;
  }

  function append(out, item) {
    const span = document.createElement("span");
    span.textContent = item.char; span.title = `p = ${item.p.toFixed(3)}`; span.style.background = tint(item.p);
    out.append(span);
  }

  async function sample(event) {
    event.preventDefault();
    if (reader) return;
    const out = $("[data-testid=text-output]"), state = $("[data-testid=text-state]");
    const prompt = $("[data-testid=text-prompt]").value;
    const body = {run: $("[data-testid=text-run]").value, prompt, length: number("[data-testid=text-length]") ?? 300,
                  temperature: number("[data-testid=text-temperature]") ?? 0.8, top_k: number("[data-testid=text-top-k]"),
                  seed: number("[data-testid=text-seed]") ?? 0};
    const headers = {"Content-Type": "application/json"}; if (Lab.TOKEN) headers["X-Neuralab-Token"] = Lab.TOKEN;
    document.body.dataset.streaming = "true"; document.body.dataset.updates = "0"; document.body.dataset.sampled = "0";
    const response = await fetch("/api/models/text/sample", {method: "POST", headers, body: JSON.stringify(body)})
      .catch(error => { Lab.showError("the lab server is not reachable: " + error.message); return null; });
    if (!response || !response.ok) {
      if (response) Lab.showError((await response.json().catch(() => ({}))).error || "HTTP " + response.status);
      document.body.dataset.streaming = "false"; return;
    }
    Lab.showError("");
    out.innerHTML = ""; const head = document.createElement("b"); head.textContent = prompt; out.append(head);
    $("[data-testid=text-stop]").disabled = false;
    reader = response.body.getReader();
    const decoder = new TextDecoder(); let pending = "", count = 0, updates = 0, finished = false;
    try {
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        pending += decoder.decode(value, {stream: true});
        const lines = pending.split("\n"); pending = lines.pop();
        for (const line of lines) {
          if (!line) continue;
          const item = JSON.parse(line);
          if (item.error) { Lab.showError(item.error); continue; }
          if (item.done !== undefined) { finished = true; continue; }
          append(out, item); count++;
        }
        updates++;
        document.body.dataset.updates = String(updates); document.body.dataset.sampled = String(count);
        state.textContent = `${count} characters…`;
      }
    } catch (error) { /* cancelled by "stop" */ }
    state.textContent = finished ? `${count} characters drawn, streamed in ${updates} pieces` : `stopped after ${count} characters`;
    reader = null; $("[data-testid=text-stop]").disabled = true;
    await loadAttention();  // a GPT run: its heads over the prompt just used
    document.body.dataset.streaming = "false";
  }

  function showAttention() {
    if (!attention) return;
    const layer = Number($("[data-testid=attention-layer]").value), head = Number($("[data-testid=attention-head]").value);
    Lab.heatmap($("[data-testid=attention]"), attention.weights[layer][head], attention.chars, attention.chars, {max: 1});
    document.body.dataset.attention = `${layer}/${head}`;
  }

  async function loadAttention() {
    const run = runs.find(r => r.name === $("[data-testid=text-run]").value);
    if (!run || !run.attention) return;
    try { attention = await Lab.api("/models/text/attention", {run: run.name, prompt: $("[data-testid=text-prompt]").value}); }
    catch (error) { return; }
    const [layers, heads] = [attention.weights.length, attention.weights[0].length];
    for (const [sel, n] of [["[data-testid=attention-layer]", layers], ["[data-testid=attention-head]", heads]]) {
      const menu = $(sel), keep = menu.value; menu.innerHTML = "";
      for (let i = 0; i < n; i++) menu.add(new Option(String(i + 1), String(i)));
      if (keep && Number(keep) < n) menu.value = keep;
    }
    showAttention();
  }

  function pickRun() {
    const run = runs.find(r => r.name === $("[data-testid=text-run]").value);
    $("[data-testid=attention-panel]").hidden = !(run && run.attention);
  }

  $("[data-testid=text-form]").addEventListener("submit", sample);
  $("[data-testid=text-stop]").addEventListener("click", () => { if (reader) reader.cancel(); });
  $("[data-testid=text-run]").addEventListener("change", pickRun);
  $("[data-testid=attention-show]").addEventListener("click", loadAttention);
  $("[data-testid=attention-layer]").addEventListener("change", showAttention);
  $("[data-testid=attention-head]").addEventListener("change", showAttention);

  Lab.api("/models/text", undefined, {method: "GET"}).then(data => {
    runs = data.runs;
    const menu = $("[data-testid=text-run]");
    for (const r of runs) menu.add(new Option(`${r.name} (${r.model}, val loss ${Lab.fmt(r.val_loss, 3)})`, r.name));
    if (!runs.length) Lab.showError("no finished language-model run in the runs folder: start one on the Runs page (e.g. shakespeare-gpt-small)");
    pickRun();
    document.body.dataset.ready = "true";
  }).catch(() => {});
})();
