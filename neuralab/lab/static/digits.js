// Digits / Fashion: draw on a canvas (or drop a PNG); the server answers probabilities, maps, saliency.
"use strict";

(() => {
  const $ = s => document.querySelector(s);
  const canvas = $("[data-testid=canvas]"), ctx = canvas.getContext("2d");
  const SIZE = 28;
  let drawing = false, last = null, pending = false, again = false;

  function blank() { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height); }

  function pixels() {  // the canvas averaged down to 28x28 grey levels in [0, 1]
    const off = document.createElement("canvas"); off.width = SIZE; off.height = SIZE;
    const small = off.getContext("2d"); small.imageSmoothingEnabled = true; small.imageSmoothingQuality = "high";
    small.drawImage(canvas, 0, 0, SIZE, SIZE);
    const data = small.getImageData(0, 0, SIZE, SIZE).data, out = [];
    for (let i = 0; i < SIZE * SIZE; i++) out.push(Math.round(data[4 * i] / 255 * 1000) / 1000);
    return out;
  }

  function grey(target, base64, [h, w]) { Lab.paint(target, Lab.decode(base64), [h, w], b => [b, b, b]); }

  function show(answer) {
    grey($("[data-testid=input]"), answer.input, [SIZE, SIZE]);
    Lab.paint($("[data-testid=saliency]"), Lab.decode(answer.saliency), [SIZE, SIZE], b => [255, 255 - b * 0.6, 255 - b]);
    const table = $("[data-testid=probabilities]"); table.innerHTML = "";
    answer.probabilities.forEach((p, k) => {
      const row = table.insertRow(); row.setAttribute("data-testid", "prob-" + k); if (k === answer.top) row.className = "top";
      row.insertCell().textContent = answer.classes[k];
      const bar = document.createElement("div"); bar.className = "bar-fill"; bar.style.width = (p * 100).toFixed(1) + "%";
      row.insertCell().append(bar);
      row.insertCell().textContent = (p * 100).toFixed(1) + "%";
    });
    $("[data-testid=top-class]").textContent = answer.classes[answer.top];
    const [m, h, w] = answer.maps_shape, bytes = Lab.decode(answer.maps), maps = $("[data-testid=maps]");
    $("[data-testid=maps-about]").textContent = answer.maps_kind === "conv"
      ? `the ${m} most active feature maps of the first convolution (after its ReLU), brightest = most active`
      : `the first layer's weights of its ${m} most active hidden units, as images (blue +, orange −)`;
    maps.innerHTML = "";
    for (let i = 0; i < m; i++) {
      const c = document.createElement("canvas"); c.width = 56; c.height = 56; c.title = "unit " + answer.maps_index[i];
      const part = bytes.subarray(i * h * w, (i + 1) * h * w);
      answer.maps_kind === "conv" ? Lab.paint(c, part, [h, w], b => [b, b, b]) : Lab.paint(c, part, [h, w], b => Lab.diverging(b / 127.5 - 1));
      maps.append(c);
    }
    document.body.dataset.top = answer.classes[answer.top];
    document.body.dataset.answers = String(Number(document.body.dataset.answers || 0) + 1);
  }

  async function predict() {  // one request in flight; the latest drawing goes next
    const run = $("[data-testid=model-run]").value;
    if (!run) return;
    if (pending) { again = true; return; }
    pending = true; document.body.dataset.busy = "true";
    try { show(await Lab.api("/models/images/predict", {run, pixels: pixels(), center: $("[data-testid=center]").checked})); }
    catch (error) { /* shown */ }
    pending = false;
    if (again) { again = false; predict(); } else document.body.dataset.busy = "false";
  }

  function at(event) { const r = canvas.getBoundingClientRect(); return [(event.clientX - r.left) * canvas.width / r.width, (event.clientY - r.top) * canvas.height / r.height]; }
  function stroke(to) {
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 20; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(...(last || to)); ctx.lineTo(...to); ctx.stroke(); last = to;
  }
  canvas.addEventListener("mousedown", e => { drawing = true; last = null; stroke(at(e)); });
  canvas.addEventListener("mousemove", e => { if (drawing) { stroke(at(e)); predict(); } });
  window.addEventListener("mouseup", () => { if (drawing) { drawing = false; predict(); } });
  $("[data-testid=clear]").addEventListener("click", () => { blank(); document.body.dataset.top = ""; });
  $("[data-testid=center]").addEventListener("change", predict);
  $("[data-testid=model-run]").addEventListener("change", predict);
  canvas.addEventListener("dragover", e => e.preventDefault());
  canvas.addEventListener("drop", async e => {
    e.preventDefault();
    const file = e.dataTransfer.files[0];
    if (!file) return;
    const headers = {"Content-Type": "image/png"}; if (Lab.TOKEN) headers["X-Neuralab-Token"] = Lab.TOKEN;
    const run = encodeURIComponent($("[data-testid=model-run]").value);
    const response = await fetch(`/api/models/images/png?run=${run}`, {method: "POST", headers, body: file});
    const data = await response.json();
    if (!response.ok) { Lab.showError(data.error); return; }
    Lab.showError(""); show(data);
  });

  blank();
  Lab.api("/models/images", undefined, {method: "GET"}).then(data => {
    const menu = $("[data-testid=model-run]");
    for (const r of data.runs) menu.add(new Option(`${r.name} (${r.data}, test acc ${Lab.fmt(r.test_accuracy, 4)})`, r.name));
    if (!data.runs.length) Lab.showError("no finished MNIST or Fashion-MNIST classifier run in the runs folder: start one on the Runs page (e.g. mnist-cnn)");
    document.body.dataset.ready = "true";
  }).catch(() => {});
})();
