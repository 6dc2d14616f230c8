// The GAN playground: a generator and a discriminator fighting over 2-D points, trained on the server.
"use strict";

const $ = sel => document.querySelector(sel);
const ARROW_LENGTH = 0.5;  // the longest generator-gradient arrow, in plane units
const view = {settings: {}, frame: null, drawn: []};

const session = new Lab.Session("gan", {
  frame: showFrame,
  settings: settings => { view.settings = settings; Lab.showSettings(settings); },
  state: state => Lab.showPlaying(state.playing),
});

function showFrame(frame) {
  view.frame = frame;
  if (frame.playing !== undefined) Lab.showPlaying(frame.playing);
  $("[data-testid=epoch]").textContent = String(frame.step);
  $("[data-testid=d-loss]").textContent = Lab.fmt(frame.d_loss);
  $("[data-testid=g-loss]").textContent = Lab.fmt(frame.g_loss);
  $("[data-testid=d-real]").textContent = Lab.fmt(frame.d_real);
  $("[data-testid=d-fake]").textContent = Lab.fmt(frame.d_fake);
  const coverage = frame.coverage || {};
  $("[data-testid=mean-radius]").textContent = Lab.fmt(coverage.mean_radius);
  drawPlane(frame);
  const h = frame.history || {step: []};
  Lab.chart($("[data-testid=loss-chart]"), [
    {label: "D loss", colour: "#1565c0", x: h.step, y: h.d_loss || []},
    {label: "G loss", colour: "#8e24aa", x: h.step, y: h.g_loss || []}]);
  Lab.chart($("[data-testid=score-chart]"), [
    {label: "D(x)", colour: "#2e7d32", x: h.step, y: h.d_real || []},
    {label: "D(G(z))", colour: "#8e24aa", x: h.step, y: h.d_fake || []}]);
  drawCoverage(coverage);
  Generative.coverageTable($("[data-testid=coverage]"), coverage);
}

// D's score as the background, real points green, generated purple, G's gradient as arrows
function drawPlane(frame) {
  const plane = $("[data-testid=plane]"), extent = frame.extent || Generative.extentOf(frame.real, frame.fake);
  Generative.clear(plane);
  if (frame.d_score && $("[data-testid=show-score]").checked) {
    Lab.paint(plane, Lab.decode(frame.d_score), frame.d_score_shape, b => {
      const c = Lab.diverging(Lab.byteToSigned(b));
      return [255 + (c[0] - 255) * 0.55, 255 + (c[1] - 255) * 0.55, 255 + (c[2] - 255) * 0.55];
    });
  }
  Generative.axes(plane, extent);
  Lab.dots(plane, extent, frame.real || [], () => Generative.REAL, {radius: 2.5, stroke: null});
  Lab.dots(plane, extent, frame.fake || [], () => Generative.FAKE, {radius: 2.5, stroke: null});
  if (frame.arrows && $("[data-testid=show-arrows]").checked) {
    Generative.arrows(plane, extent, frame.fake || [], frame.arrows.map(([dx, dy]) => [dx * ARROW_LENGTH, dy * ARROW_LENGTH]));
  }
}

// Mode coverage: one box per piece of the real distribution, filled for each covered one,
// and a bar for the share of generated points near the data
function drawCoverage(coverage) {
  const canvas = $("[data-testid=coverage-chart]"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const modes = coverage.modes || 0, covered = coverage.covered || 0, near = coverage.near || 0;
  ctx.font = "12px sans-serif"; ctx.fillStyle = "#333";
  ctx.fillText(`${covered} of ${modes} modes covered`, 4, 16);
  const w = Math.min(24, (canvas.width - 8) / Math.max(modes, 1));
  for (let k = 0; k < modes; k++) {
    ctx.fillStyle = k < covered ? "rgb(142,36,170)" : "#eee";
    ctx.fillRect(4 + k * w, 26, w - 3, 30);
  }
  ctx.fillStyle = "#333"; ctx.fillText(`${(near * 100).toFixed(0)}% of generated points near the data`, 4, 80);
  ctx.fillStyle = "#eee"; ctx.fillRect(4, 88, canvas.width - 8, 14);
  ctx.fillStyle = "rgb(46,125,50)"; ctx.fillRect(4, 88, (canvas.width - 8) * near, 14);
}

// Drawing a real distribution: click the plane (two points at least)
$("[data-testid=plane]").addEventListener("click", event => {
  if (!$("[data-testid=draw]").checked || !view.frame) return;
  const extent = view.frame.extent || Generative.extentOf(view.frame.real, view.frame.fake);
  const [x, y] = Lab.toPlane(event.target, extent, event.clientX, event.clientY);
  view.drawn.push([+x.toFixed(3), +y.toFixed(3)]);
  if (view.drawn.length < 2) return;  // a distribution needs two points; the first waits for the second
  session.update({distribution: "drawn", points: view.drawn}).catch(() => view.drawn.pop());
});
$("[data-testid=clear-points]").addEventListener("click", () => { view.drawn = []; });
["show-score", "show-arrows"].forEach(id => $(`[data-testid=${id}]`).addEventListener("change", () => view.frame && drawPlane(view.frame)));

Lab.bindTransport(session);
(async () => {
  try {
    await Generative.settingsPanel(session, "gan", ["points"]);
    await session.open();
  } catch (error) { /* shown in the error box */ }
})();
