// The network playground: TF Playground's view of a small network training live on the server.
"use strict";

const FEATURES = [["x", "X₁"], ["y", "X₂"], ["xSquared", "X₁²"], ["ySquared", "X₂²"], ["xTimesY", "X₁X₂"],
                  ["sinX", "sin(X₁)"], ["sinY", "sin(X₂)"], ["cosX", "cos(X₁)"], ["cosY", "cos(X₂)"]];
const ACTIVATIONS = ["tanh", "relu", "sigmoid", "linear", "leaky_relu", "gelu"];
const NODE = 34, ROW = 44, TOP = 58;

const view = {settings: {}, points: null, frame: null, structure: "", nodes: [], links: [], drawn: []};
const $ = sel => document.querySelector(sel);
const tooltip = $("[data-testid=tooltip]");

const session = new Lab.Session("network", {
  frame: showFrame,
  points: (points, settings) => { view.points = points; view.settings = settings; drawLegend(); },
  settings: settings => {
    view.settings = settings; Lab.showSettings(settings); syncDrawnPoints();
    document.querySelectorAll("[data-when]").forEach(el => { el.hidden = el.dataset.when !== settings.problem; });
    // a class count only where the data set takes one (the options marked so): TF's sets have 2
    const chosen = $(`[data-testid=dataset] option[value="${settings.dataset}"]`);
    $("[data-testid=classes-box]").hidden = settings.problem !== "classification" || !(chosen && "takesClasses" in chosen.dataset);
  },
  state: state => Lab.showPlaying(state.playing),
});

// ---------- the network drawing ----------
function hiddenActivations(settings) {
  const shape = settings.networkShape || [];
  const per = settings.activations;
  return shape.map((_, l) => (per && per[l]) || settings.activation);
}

function layerWidths(frame) {
  // nodes per drawn column: the enabled features, each hidden layer, the output
  return (frame.neurons || []).map(layer => layer.length);
}

function buildNetwork(frame) {
  const settings = view.settings, box = $("#network"), svg = $("#links");
  box.querySelectorAll(".node, .feature, .layer-head").forEach(el => el.remove());
  svg.innerHTML = "";
  const widths = layerWidths(frame), columns = widths.length;
  const W = Math.max(box.clientWidth, 420), left = 86, right = W - 30;
  const xOf = c => left + (right - left) * c / Math.max(columns - 1, 1);
  const enabled = FEATURES.filter(([key]) => settings[key]);
  view.nodes = widths.map(() => []);
  // input features: all nine rows, the enabled ones feed the network
  let k = 0;
  FEATURES.forEach(([key, label], row) => {
    const on = frame.features ? frame.features.includes(key) : !!settings[key];
    const el = document.createElement("div");
    el.className = "feature" + (on ? "" : " off");
    el.style.left = (xOf(0) - NODE / 2 - 70) + "px";
    el.style.top = (TOP + row * ROW) + "px";
    el.innerHTML = `<label class="check" style="width:66px"><input type="checkbox" data-feature="${key}" data-testid="${key}"> ${label}</label>`;
    el.querySelector("input").checked = on;
    el.querySelector("input").addEventListener("change", e => session.update({[key]: e.target.checked}).catch(() => {}));
    const node = makeNode(`input ${label}`);
    node.style.position = "relative";
    el.appendChild(node);
    box.appendChild(el);
    if (on) view.nodes[0].push({canvas: node.querySelector("canvas"), x: xOf(0) - NODE / 2 + 2 + NODE / 2, y: TOP + row * ROW + NODE / 2 + 2});
    k += on;
  });
  // hidden layers, each with its +/- neuron buttons and its activation
  const acts = hiddenActivations(settings);
  for (let c = 1; c < columns; c++) {
    const hidden = c < columns - 1, x = xOf(c);
    if (hidden) {
      const head = document.createElement("div");
      head.className = "layer-head";
      head.style.left = x + "px";
      const l = c - 1;
      head.innerHTML = `<div><button data-testid="add-neuron-${l}" title="add a neuron">+</button>
        <button data-testid="remove-neuron-${l}" title="remove a neuron">−</button></div>
        <div><span data-testid="neurons-${l}">${widths[c]}</span> neurons</div>
        <select data-testid="activations-${l}">${ACTIVATIONS.map(a => `<option value="${a}">${a}</option>`).join("")}</select>`;
      head.querySelector("select").value = acts[l];
      head.querySelector("select").addEventListener("change", e => {
        const next = hiddenActivations(view.settings); next[l] = e.target.value;
        session.update({activations: next}).catch(() => {});
      });
      head.querySelector(`[data-testid=add-neuron-${l}]`).addEventListener("click", () => resizeLayer(l, +1));
      head.querySelector(`[data-testid=remove-neuron-${l}]`).addEventListener("click", () => resizeLayer(l, -1));
      box.appendChild(head);
    }
    for (let j = 0; j < widths[c]; j++) {
      const node = makeNode(hidden ? `layer ${c}, neuron ${j + 1}` : `output ${j + 1}`);
      node.style.left = (x - NODE / 2) + "px";
      node.style.top = (TOP + j * ROW) + "px";
      box.appendChild(node);
      view.nodes[c].push({canvas: node.querySelector("canvas"), x, y: TOP + j * ROW + NODE / 2});
    }
  }
  box.style.height = (TOP + Math.max(FEATURES.length, ...widths) * ROW + 10) + "px";
  // links: one SVG line per weight
  view.links = [];
  for (let l = 0; l + 1 < columns; l++) {
    view.links.push(view.nodes[l].map((from, i) => view.nodes[l + 1].map((to, j) => {
      const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("x1", from.x + NODE / 2); line.setAttribute("y1", from.y);
      line.setAttribute("x2", to.x - NODE / 2); line.setAttribute("y2", to.y);
      line.dataset.testid = `link-${l}-${i}-${j}`;
      line.setAttribute("data-testid", `link-${l}-${i}-${j}`);
      line.addEventListener("mousemove", e => showTip(e, `weight ${line.dataset.value}`));
      line.addEventListener("mouseleave", hideTip);
      line.addEventListener("click", e => editWeight(e, l, i, j, line.dataset.value));
      svg.appendChild(line);
      return line;
    })));
  }
  $("[data-testid=layer-count]").textContent = String(columns - 2);
}

function makeNode(title) {
  const node = document.createElement("div");
  node.className = "node";
  const canvas = document.createElement("canvas");
  canvas.width = NODE; canvas.height = NODE;
  node.appendChild(canvas);
  node.addEventListener("mousemove", e => showTip(e, title, canvas));
  node.addEventListener("mouseleave", hideTip);
  return node;
}

function resizeLayer(l, delta) {
  const shape = (view.settings.networkShape || []).slice();
  shape[l] = shape[l] + delta;
  session.update({networkShape: shape}).catch(() => {});
}

function changeLayers(delta) {
  const shape = (view.settings.networkShape || []).slice(), changes = {};
  if (delta > 0) shape.push(shape.length ? shape[shape.length - 1] : 4); else shape.pop();
  changes.networkShape = shape;
  if (view.settings.activations) changes.activations = hiddenActivations(view.settings).slice(0, shape.length)
    .concat(Array(Math.max(0, shape.length - view.settings.activations.length)).fill(view.settings.activation));
  session.update(changes).catch(() => {});
}

// ---------- tooltips and the weight editor ----------
function showTip(event, text, canvas) {
  tooltip.innerHTML = "";
  if (canvas) {
    const big = document.createElement("canvas");
    big.width = 160; big.height = 160;
    big.getContext("2d").drawImage(canvas, 0, 0, 160, 160);
    tooltip.appendChild(big);
  }
  tooltip.appendChild(document.createTextNode(text));
  tooltip.style.left = (event.clientX + 14) + "px";
  tooltip.style.top = (event.clientY + 10) + "px";
  tooltip.hidden = false;
}
function hideTip() { tooltip.hidden = true; }

function editWeight(event, layer, i, j, value) {
  document.querySelectorAll(".editor").forEach(el => el.remove());
  const editor = document.createElement("div");
  editor.className = "editor";
  editor.style.left = event.clientX + "px"; editor.style.top = event.clientY + "px";
  editor.innerHTML = `weight ${layer}:${i}→${j} <input type="number" step="0.1" data-testid="weight-editor" style="width:80px"> <button>set</button>`;
  const input = editor.querySelector("input");
  input.value = value;
  const apply = () => {
    session.post("weight", {layer, i, j, value: Number(input.value)}).catch(() => {});
    editor.remove();
  };
  editor.querySelector("button").addEventListener("click", apply);
  input.addEventListener("keydown", e => { if (e.key === "Enter") apply(); if (e.key === "Escape") editor.remove(); });
  document.body.appendChild(editor);
  input.focus(); input.select();
}

// ---------- frames ----------
function showFrame(frame) {
  view.frame = frame;
  if (frame.playing !== undefined) Lab.showPlaying(frame.playing);
  $("[data-testid=epoch]").textContent = String(Math.floor(frame.epoch || 0));
  $("[data-testid=step-count]").textContent = String(frame.step);
  $("[data-testid=train-loss]").textContent = Lab.fmt(frame.train_loss);
  $("[data-testid=test-loss]").textContent = Lab.fmt(frame.test_loss);
  const structure = JSON.stringify([layerWidths(frame), FEATURES.map(([k]) => !!view.settings[k]),
                                    hiddenActivations(view.settings)]);
  if (structure !== view.structure) { view.structure = structure; buildNetwork(frame); }
  drawNeurons(frame);
  drawLinks(frame);
  drawOutput(frame);
  const h = frame.history || {step: []};
  Lab.chart($("[data-testid=loss-chart]"), [
    {label: "test", colour: "#222", x: h.step, y: h.test_loss},
    {label: "training", colour: "#999", x: h.step, y: h.train_loss}]);
}

function drawNeurons(frame) {
  const shape = frame.neuron_shape;
  (frame.neurons || []).forEach((layer, c) => layer.forEach((image, j) => {
    const node = view.nodes[c] && view.nodes[c][j];
    if (node) Lab.paint(node.canvas, Lab.decode(image), shape, b => Lab.diverging(Lab.byteToSigned(b)));
  }));
}

function drawLinks(frame) {
  (frame.weights || []).forEach((matrix, l) => matrix.forEach((row, i) => row.forEach((w, j) => {
    const line = view.links[l] && view.links[l][i] && view.links[l][i][j];
    if (!line) return;
    const [r, g, b] = Lab.diverging(Math.tanh(w * 2));
    line.setAttribute("stroke", `rgb(${r},${g},${b})`);
    line.setAttribute("stroke-width", (0.6 + Math.min(Math.abs(w), 4) * 1.8).toFixed(2));
    line.dataset.value = w.toFixed(4);
  })));
}

function pointColour(point) {
  const p = view.points;
  if (p.problem === "regression") {
    const [lo, hi] = (view.frame && view.frame.output_range) || [-1, 1];
    return Lab.diverging(((point[2] - lo) / (hi - lo || 1)) * 2 - 1);
  }
  if (p.classes > 2) return Lab.classColour(point[2]);
  return point[2] > 0 ? [8, 119, 189] : [245, 147, 34];
}

function drawOutput(frame) {
  const canvas = $("[data-testid=output]");
  // (a discretized output arrives discretized: the server applies the setting)
  const bytes = Lab.decode(frame.output);
  if (frame.classes_map) {
    const classes = Lab.decode(frame.classes_map);
    Lab.paint(canvas, bytes, frame.output_shape, (b, i) => {
      const c = Lab.classColour(classes[i]);
      const strength = 0.15 + 0.5 * b / 255;  // stronger where the net is surer
      return [255 + (c[0] - 255) * strength, 255 + (c[1] - 255) * strength, 255 + (c[2] - 255) * strength];
    });
  } else {
    Lab.paint(canvas, bytes, frame.output_shape, b => pale(Lab.diverging(Lab.byteToSigned(b))));
  }
  if (!view.points) return;
  Lab.dots(canvas, frame.extent, view.points.train, pointColour, {stroke: "white"});
  if (view.settings.showTestData) Lab.dots(canvas, frame.extent, view.points.test, pointColour, {stroke: "black"});
}

// The output's background a little paler than the points, so the points stand out (as in TF)
function pale([r, g, b]) { return [r + (255 - r) * 0.3, g + (255 - g) * 0.3, b + (255 - b) * 0.3]; }

function drawLegend() {
  const p = view.points, legend = $("[data-testid=legend]"), select = $("[data-testid=draw-class]");
  const labels = drawLabels();
  legend.innerHTML = p.problem === "regression" ? '<span class="muted">colour = target value</span>' :
    labels.map(label => `<span style="--c:rgb(${pointColour([0, 0, label]).join(",")})">class ${label}</span>`).join("");
  // drawing may add one class beyond those there are
  const drawable = p.problem === "regression" ? labels : [...Array(Math.min(labels.length + 1, 10)).keys()];
  const chosen = select.value;
  select.innerHTML = drawable.map(label => `<option value="${label}">${label}</option>`).join("");
  if (labels.map(String).includes(chosen)) select.value = chosen;
}

// Labels a drawn point may take: class indices, or for regression a low and a high target
function drawLabels() {
  const p = view.points || {classes: 2};
  if (p.problem === "regression") return [-1, 1];
  return [...Array(Math.max(p.classes, 2)).keys()];
}

// TF keeps one data set per problem: "dataset" for classification, "regDataset" for regression
function datasetKey() { return view.settings.problem === "regression" ? "regDataset" : "dataset"; }

// ---------- your own data: drawn points, CSV ----------
function syncDrawnPoints() {
  const drawing = view.settings[datasetKey()] === "drawn" && Array.isArray(view.settings.points);
  view.drawn = drawing ? view.settings.points.slice() : view.drawn;
}

$("[data-testid=output]").addEventListener("click", event => {
  if (!$("[data-testid=draw]").checked || !view.frame) return;
  const [x, y] = Lab.toPlane(event.target, view.frame.extent, event.clientX, event.clientY);
  view.drawn.push([+x.toFixed(3), +y.toFixed(3), Number($("[data-testid=draw-class]").value)]);
  if (view.drawn.length < 2) return;  // a data set needs two points; the first waits for the second
  session.update({[datasetKey()]: "drawn", points: view.drawn}).catch(() => view.drawn.pop());
});

// Turning drawing on starts a fresh set, unless the drawn points are already the data
$("[data-testid=draw]").addEventListener("change", event => {
  if (event.target.checked && view.settings[datasetKey()] !== "drawn") view.drawn = [];
});

$("[data-testid=clear-points]").addEventListener("click", () => {
  view.drawn = [];
});

$("[data-testid=upload]").addEventListener("change", async event => {
  const file = event.target.files[0], status = $("[data-testid=upload-status]");
  if (!file) return;
  status.textContent = `reading ${file.name} ...`;
  try {
    const data = await session.upload(file);
    status.textContent = `${file.name}: ${data.rows} rows, ${data.settings.problem}` +
      (data.classes ? `, ${data.classes} classes` : "");
  } catch (error) {
    status.textContent = `${file.name} refused: ${error.message}`;
  }
  event.target.value = "";
});

// ---------- controls ----------
Lab.bindControls(session);
Lab.bindTransport(session);
$("[data-testid=add-layer]").addEventListener("click", () => changeLayers(+1));
$("[data-testid=remove-layer]").addEventListener("click", () => changeLayers(-1));
$("[data-testid=regenerate]").addEventListener("click", () =>
  session.update({seed: Math.random().toString(36).slice(2, 8)}).catch(() => {}));
$("[data-testid=engine]").addEventListener("change", async event => {
  await session.reopen({engine: event.target.value}).catch(() => {});
  exportLink();
});
function exportLink() { $("[data-testid=export]").href = session.exportUrl(); }
window.addEventListener("resize", () => { view.structure = ""; if (view.frame) showFrame(view.frame); });

session.open().then(exportLink).catch(() => {});
