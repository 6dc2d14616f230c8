// What the GAN and diffusion pages share: a scatter plane, a coverage table, a settings panel from defaults.
"use strict";

const Generative = (() => {
  const REAL = [46, 125, 50], FAKE = [142, 36, 170], GREY = [189, 189, 189];

  function clear(canvas) {
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, canvas.width, canvas.height);
  }

  // An extent that holds every point with a margin (when the frame gives none)
  function extentOf(...sets) {
    let lo = -3, hi = 3;
    for (const set of sets) for (const [x, y] of set || []) { lo = Math.min(lo, x, y); hi = Math.max(hi, x, y); }
    return [lo, hi, lo, hi];
  }

  function axes(canvas, extent) {
    const ctx = canvas.getContext("2d");
    const [ox, oy] = Lab.toPixel(canvas, extent, 0, 0);
    ctx.strokeStyle = "rgba(0,0,0,.12)"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, oy); ctx.lineTo(canvas.width, oy); ctx.moveTo(ox, 0); ctx.lineTo(ox, canvas.height); ctx.stroke();
  }

  function arrows(canvas, extent, from, directions) {
    const ctx = canvas.getContext("2d");
    ctx.strokeStyle = "rgba(60,60,60,.7)"; ctx.lineWidth = 1;
    from.forEach((p, i) => {
      const d = directions[i];
      if (!d) return;
      const [x0, y0] = Lab.toPixel(canvas, extent, p[0], p[1]);
      const [x1, y1] = Lab.toPixel(canvas, extent, p[0] + d[0], p[1] + d[1]);
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    });
  }

  function coverageTable(table, coverage) {
    if (!coverage) { table.innerHTML = ""; return; }
    table.innerHTML = Object.entries(coverage)
      .filter(([, v]) => typeof v !== "object")
      .map(([k, v]) => `<tr><td>${k.replace(/_/g, " ")}</td><td data-testid="coverage-${k}">${typeof v === "number" ? Lab.fmt(v, Number.isInteger(v) ? 0 : 3) : v}</td></tr>`)
      .join("");
  }

  // Build the settings panel from the kind's specs, then bind it to the session
  async function settingsPanel(session, kind, skip = []) {
    const data = await Lab.api(`/defaults/${kind}`, undefined, {method: "GET"});
    const root = document.querySelector("[data-testid=settings]");
    Lab.settingsPanel(root, data.settings, data.specs, skip);
    Lab.bindControls(session, root);
    return data;
  }

  return {REAL, FAKE, GREY, clear, extentOf, axes, arrows, coverageTable, settingsPanel};
})();
