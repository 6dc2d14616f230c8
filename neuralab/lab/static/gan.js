// The GAN playground: a generator and a discriminator fighting over 2-D points, trained on the server.
"use strict";

const $ = sel => document.querySelector(sel);
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
  if (frame.arrows && $("[data-testid=show-arrows]").checked) Generative.arrows(plane, extent, frame.fake || [], frame.arrows);
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

// Share of real and of generated points per mode (or per angle bin), side by side
function drawCoverage(coverage) {
  const canvas = $("[data-testid=coverage-chart]"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const real = coverage.real_share || [], fake = coverage.fake_share || coverage.share || [];
  const n = Math.max(real.length, fake.length);
  if (!n) { ctx.fillStyle = "#777"; ctx.font = "12px sans-serif"; ctx.fillText("no per-mode shares in this frame", 8, 20); return; }
  const top = Math.max(...real, ...fake, 1e-9), w = canvas.width / n;
  for (let k = 0; k < n; k++) {
    [[real[k], Generative.REAL, 0], [fake[k], Generative.FAKE, 1]].forEach(([v, c, s]) => {
      if (v === undefined) return;
      const h = v / top * (canvas.height - 16);
      ctx.fillStyle = `rgb(${c.join(",")})`;
      ctx.fillRect(k * w + 2 + s * (w - 4) / 2, canvas.height - 12 - h, (w - 4) / 2 - 1, h);
    });
  }
  ctx.fillStyle = "#666"; ctx.font = "10px sans-serif"; ctx.fillText("modes →", 2, canvas.height - 1);
}

$("[data-testid=plane]").addEventListener("click", event => {
  if (!$("[data-testid=draw]").checked || !view.frame) return;
  const extent = view.frame.extent || Generative.extentOf(view.frame.real, view.frame.fake);
  const [x, y] = Lab.toPlane(event.target, extent, event.clientX, event.clientY);
  view.drawn.push([+x.toFixed(3), +y.toFixed(3), 0]);
  session.update({dataset: "drawn", points: view.drawn}).catch(() => view.drawn.pop());
});
$("[data-testid=clear-points]").addEventListener("click", () => { view.drawn = []; });

Lab.bindTransport(session);
(async () => {
  try {
    await Generative.settingsPanel(session, "gan", GAN_CHOICES, ["points"]);
    await session.open();
  } catch (error) { /* shown in the error box */ }
})();
