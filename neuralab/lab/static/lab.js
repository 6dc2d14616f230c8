// neuralab lab: what every playground page shares. No framework, no CDN: fetch, EventSource, canvas.
"use strict";

const Lab = (() => {
  const TOKEN = new URLSearchParams(location.search).get("token");
  const NEG = [245, 147, 34], MID = [232, 234, 235], POS = [8, 119, 189];   // TF Playground's scale
  const PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [214, 39, 40], [148, 103, 189],
                   [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

  // ---- messages ----
  let errorsShown = 0;  // counts messages shown, so that a late success does not hide a newer error
  function showError(message) {
    const box = document.querySelector("[data-testid=error]");
    box.textContent = message;
    box.hidden = !message;
    if (message) errorsShown += 1;
  }

  // ---- HTTP: JSON POSTs carrying the token; errors land in the page's error box ----
  // keepError: a background poll's success leaves the message of the user's last action on show
  async function api(path, body, {method = "POST", raw = null, keepError = false} = {}) {
    const errorsBefore = errorsShown;
    const headers = {};
    if (TOKEN) headers["X-Neuralab-Token"] = TOKEN;
    let payload;
    if (raw !== null) { payload = raw; headers["Content-Type"] = "text/csv"; }
    else if (body !== undefined) { payload = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
    let response;
    try {
      response = await fetch("/api" + path, {method, headers, body: payload, credentials: "same-origin"});
    } catch (error) {
      showError("the lab server is not reachable (" + error.message + "): is `neuralab lab` still running?");
      throw error;
    }
    const data = await response.json().catch(() => ({error: "HTTP " + response.status}));
    if (!response.ok) {
      showError(data.error || ("HTTP " + response.status));
      const error = new Error(data.error); error.status = response.status; throw error;
    }
    // a success clears the box only if no error came while it was on its way (a pause answered
    // after a refused upload must not hide the refusal)
    if (!keepError && errorsShown === errorsBefore) showError("");
    return data;
  }

  // ---- one session per page; frames arrive as server-sent events ----
  class Session {
    constructor(kind, handlers) { this.kind = kind; this.handlers = handlers; this.id = null; }

    async open(extra = {}) {
      const hash = location.hash.replace(/^#/, "");
      const data = await api("/sessions", Object.assign({kind: this.kind, hash}, extra));
      this.attach(data);
      return data;
    }

    // A new session with this one's settings (drawn or uploaded points too) and other options
    // (engine); this one closes only once the new one is up, so a refusal leaves the page working.
    async reopen(extra) {
      const data = await api("/sessions", Object.assign({kind: this.kind, settings: this.settings}, extra));
      const old = this.id;
      this.attach(data);
      if (navigator.sendBeacon) navigator.sendBeacon(`/api/sessions/${old}/close`);
      return data;
    }

    attach(data) {
      if (this.source) this.source.close();
      this.id = data.id;
      this.settings = data.settings;
      this.setHash(data.hash);
      this.handlers.points && this.handlers.points(data.points, data.settings);
      this.handlers.settings && this.handlers.settings(data.settings);
      this.handlers.frame(data.frame);
      document.body.dataset.session = this.id;  // ready: the page shows this session (tests wait for it)
      const query = TOKEN ? "?token=" + encodeURIComponent(TOKEN) : "";
      this.source = new EventSource(`/api/sessions/${this.id}/events${query}`);
      this.source.addEventListener("frame", e => this.handlers.frame(JSON.parse(e.data)));
      this.source.addEventListener("points", e => {
        const d = JSON.parse(e.data);
        this.settings = d.settings; this.setHash(d.hash);
        this.handlers.points && this.handlers.points(d.points, d.settings);
        this.handlers.settings && this.handlers.settings(d.settings);
      });
      this.source.addEventListener("state", e => this.handlers.state && this.handlers.state(JSON.parse(e.data)));
      this.source.addEventListener("failure", e => showError(JSON.parse(e.data).error));
      window.addEventListener("pagehide", () => this.close(), {once: true});
    }

    setHash(hash) {
      if (hash !== undefined) history.replaceState(null, "", location.pathname + location.search + "#" + hash.replace(/^#/, ""));
    }

    async post(action, body) {
      if (!this.id) throw new Error("no session yet");  // opening it failed: its error is on show
      const data = await api(`/sessions/${this.id}/${action}`, body);
      if (data.settings) { this.settings = data.settings; this.setHash(data.hash); }
      // with the feed open, play/pause reach the page through it, after the frame they left:
      // the reply can outrun that frame, and a page told "paused" must already show the last step
      const feedOpen = this.source && this.source.readyState === EventSource.OPEN;
      if (data.playing !== undefined && this.handlers.state && !feedOpen) this.handlers.state({playing: data.playing});
      return data;
    }

    update(changes) { return this.post("update", {changes}); }

    upload(text) {
      return api(`/sessions/${this.id}/upload`, undefined, {raw: text}).then(data => {
        this.settings = data.settings; this.setHash(data.hash); return data;
      });
    }

    exportUrl() { return `/api/sessions/${this.id}/export` + (TOKEN ? "?token=" + encodeURIComponent(TOKEN) : ""); }

    close() {
      if (this.source) this.source.close();
      if (this.id && navigator.sendBeacon) navigator.sendBeacon(`/api/sessions/${this.id}/close`);
    }
  }

  // ---- controls bound to settings keys: <input data-key="learningRate"> etc. ----
  function readControl(el) {
    if (el.type === "checkbox") return el.checked;
    const kind = el.dataset.type || "string";
    if (kind === "number") return el.value.trim() === "" ? null : Number(el.value);
    if (kind === "list") return el.value.split(",").map(s => s.trim()).filter(Boolean).map(Number);
    return el.value;
  }

  function writeControl(el, value) {
    if (value === undefined || value === null) return;
    if (el.type === "checkbox") { el.checked = !!value; return; }
    const text = Array.isArray(value) ? value.join(",") : String(value);
    if (el.tagName === "SELECT" && ![...el.options].some(o => o.value === text)) {
      el.add(new Option(text, text));  // a value from a link that the menu lacks
    }
    if (document.activeElement !== el) el.value = text;
    const shown = document.querySelector(`[data-shows="${el.dataset.key}"]`);
    if (shown) shown.textContent = text;
  }

  function bindControls(session, root = document) {
    root.querySelectorAll("[data-key]").forEach(el => {
      el.addEventListener("change", () => session.update({[el.dataset.key]: readControl(el)}).catch(() => {}));
      if (el.type === "range") el.addEventListener("input", () => {
        const shown = document.querySelector(`[data-shows="${el.dataset.key}"]`);
        if (shown) shown.textContent = el.value;
      });
    });
  }

  function showSettings(settings, root = document) {
    root.querySelectorAll("[data-key]").forEach(el => writeControl(el, settings[el.dataset.key]));
  }

  // ---- pixels ----
  function decode(base64) {
    const text = atob(base64), bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function mix(a, b, t) { return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]; }

  // t in [-1, 1] -> orange .. grey .. blue
  function diverging(t) {
    t = Math.max(-1, Math.min(1, t));
    return t < 0 ? mix(MID, NEG, -t) : mix(MID, POS, t);
  }

  function classColour(k) { return PALETTE[k % PALETTE.length]; }

  // Paint a (rows x cols) byte image onto a canvas; colourOf(byte, index) -> [r, g, b]
  function paint(canvas, bytes, [rows, cols], colourOf) {
    const off = document.createElement("canvas");
    off.width = cols; off.height = rows;
    const ctx = off.getContext("2d"), image = ctx.createImageData(cols, rows);
    for (let i = 0; i < rows * cols; i++) {
      const [r, g, b] = colourOf(bytes[i], i);
      image.data[4 * i] = r; image.data[4 * i + 1] = g; image.data[4 * i + 2] = b; image.data[4 * i + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    const target = canvas.getContext("2d");
    target.imageSmoothingEnabled = true;
    target.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  function byteToSigned(b) { return b / 255 * 2 - 1; }

  // plane <-> canvas pixels for an extent [xmin, xmax, ymin, ymax]
  function toPixel(canvas, extent, x, y) {
    const [x0, x1, y0, y1] = extent;
    return [(x - x0) / (x1 - x0) * canvas.width, (y1 - y) / (y1 - y0) * canvas.height];
  }
  function toPlane(canvas, extent, px, py) {
    const [x0, x1, y0, y1] = extent, rect = canvas.getBoundingClientRect();
    const u = (px - rect.left) / rect.width, v = (py - rect.top) / rect.height;
    return [x0 + u * (x1 - x0), y1 - v * (y1 - y0)];
  }

  function dots(canvas, extent, points, colourOf, {radius = 3.5, stroke = "white"} = {}) {
    const ctx = canvas.getContext("2d");
    ctx.lineWidth = 1;
    for (const p of points) {
      const [px, py] = toPixel(canvas, extent, p[0], p[1]);
      const [r, g, b] = colourOf(p);
      ctx.beginPath(); ctx.arc(px, py, radius, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${r},${g},${b})`; ctx.fill();
      if (stroke) { ctx.strokeStyle = stroke; ctx.stroke(); }
    }
  }

  // ---- line chart: series = [{label, colour, x: [...], y: [...]}] ----
  function chart(canvas, series, {log = false} = {}) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height, pad = 30, top = 18;
    ctx.clearRect(0, 0, W, H);
    const f = v => (log ? Math.log10(Math.max(v, 1e-6)) : v);
    let xs = [], ys = [];
    for (const s of series) { xs = xs.concat(s.x); ys = ys.concat(s.y.filter(v => v !== null && isFinite(v)).map(f)); }
    if (!xs.length || !ys.length) return;
    const xmin = Math.min(...xs), xmax = Math.max(...xs, xmin + 1);
    let ymin = log ? Math.min(...ys) : Math.min(0, ...ys), ymax = Math.max(...ys);
    if (ymax - ymin < 1e-9) ymax = ymin + 1;
    ctx.strokeStyle = "#bbb"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(pad, top); ctx.lineTo(pad, H - 14); ctx.lineTo(W - 4, H - 14); ctx.stroke();
    ctx.fillStyle = "#666"; ctx.font = "10px sans-serif";
    const label = v => (log ? Math.pow(10, v).toPrecision(2) : v.toPrecision(2));
    ctx.fillText(label(ymax), 0, top + 8); ctx.fillText(label(ymin), 0, H - 16);
    ctx.fillText(String(xmax), W - 40, H - 2);
    for (const s of series) {
      ctx.strokeStyle = s.colour; ctx.lineWidth = 1.5; ctx.beginPath();
      let started = false;
      s.x.forEach((x, i) => {
        const v = s.y[i];
        if (v === null || !isFinite(v)) return;
        const px = pad + (x - xmin) / (xmax - xmin) * (W - pad - 6), py = top + (1 - (f(v) - ymin) / (ymax - ymin)) * (H - 14 - top);
        started ? ctx.lineTo(px, py) : ctx.moveTo(px, py); started = true;
      });
      ctx.stroke();
    }
    let lx = pad + 6;
    for (const s of series) {
      ctx.fillStyle = s.colour; ctx.fillText(s.label, lx, 12); lx += ctx.measureText(s.label).width + 12;
    }
  }

  function fmt(v, digits = 3) { return v === null || v === undefined || !isFinite(v) ? "–" : Number(v).toFixed(digits); }

  // ---- play / pause / step / reset, shared by all pages ----
  function bindTransport(session, {onStep} = {}) {
    const play = document.querySelector("[data-testid=play-pause]");
    play.addEventListener("click", () => session.post(play.dataset.playing === "true" ? "pause" : "play").catch(() => {}));
    document.querySelectorAll("[data-step]").forEach(button => button.addEventListener("click", () => {
      const body = {n: Number(button.dataset.step) || 1};
      if (button.dataset.part) body.part = button.dataset.part;
      session.post("step", body).catch(() => {});
    }));
    const reset = document.querySelector("[data-testid=reset]");
    reset && reset.addEventListener("click", () => session.post("reset").catch(() => {}));
  }

  function showPlaying(playing) {
    const play = document.querySelector("[data-testid=play-pause]");
    play.dataset.playing = String(!!playing);
    play.textContent = playing ? "❚❚ pause" : "▶ play";
    play.setAttribute("aria-pressed", String(!!playing));
  }

  function keepTokenInLinks() {
    if (!TOKEN) return;
    document.querySelectorAll("a[data-page]").forEach(a => { a.href = a.getAttribute("href") + "?token=" + encodeURIComponent(TOKEN); });
  }

  document.addEventListener("DOMContentLoaded", keepTokenInLinks);

  return {api, Session, bindControls, showSettings, readControl, writeControl, decode, paint, diverging, classColour,
          byteToSigned, toPixel, toPlane, dots, chart, fmt, bindTransport, showPlaying, showError, TOKEN};
})();

// "gLearningRate" -> "g learning rate": a settings key as words
function words(key) { return key.replace(/([A-Z])/g, " $1").toLowerCase(); }

// ---- a settings panel built from the kind's specs: one control per key, testid = key ----
// specs: {key: {type, choices, low, high, about}} as /api/defaults/KIND sends them
Lab.settingsPanel = function (root, defaults, specs, skip = []) {
  root.innerHTML = "";
  for (const [key, value] of Object.entries(defaults)) {
    const spec = specs[key] || {};
    if (skip.includes(key) || spec.type === "points") continue;
    const label = document.createElement("label");
    let control;
    if (spec.type === "bool") {
      label.className = "check";
      control = document.createElement("input"); control.type = "checkbox";
      label.append(control, " " + words(key));
    } else {
      label.append(words(key));
      if (spec.choices && spec.choices.length) {
        control = document.createElement("select");
        spec.choices.forEach(c => control.add(new Option(c, c)));
      } else {
        control = document.createElement("input");
        const numeric = spec.type === "int" || spec.type === "float";
        control.type = numeric ? "number" : "text";
        if (numeric) {
          control.dataset.type = "number";
          control.step = spec.type === "int" ? "1" : "any";
          if (spec.low !== null) control.min = spec.low;
          if (spec.high !== null) control.max = spec.high;
        }
        if (spec.type === "widths") control.dataset.type = "list";
      }
      label.append(control);
    }
    label.title = key + (spec.about ? ": " + spec.about : "");
    control.dataset.key = key;
    control.setAttribute("data-testid", key);
    root.append(label);
  }
};
