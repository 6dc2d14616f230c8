// The diffusion playground: a small DDPM on 2-D points; forward noising, training, reverse sampling.
"use strict";

const $ = sel => document.querySelector(sel);
const view = {settings: {}, frame: null, shown: -1, timer: null};

const session = new Lab.Session("diffusion", {
  frame: showFrame,
  settings: settings => {
    view.settings = settings;
    $("[data-testid=t]").max = String(settings.diffusionSteps - 1);
    Lab.showSettings(settings);
  },
  state: state => Lab.showPlaying(state.playing),
});

function showFrame(frame) {
  view.frame = frame;
  if (frame.playing !== undefined) Lab.showPlaying(frame.playing);
  $("[data-testid=epoch]").textContent = String(frame.step);
  $("[data-testid=train-loss]").textContent = Lab.fmt(frame.train_loss, 4);
  const coverage = frame.coverage || {};
  $("[data-testid=mean-radius]").textContent = Lab.fmt(coverage.mean_radius);
  const noised = $("[data-testid=noised]"), extent = frame.extent || [-4, 4, -4, 4];
  Generative.clear(noised); Generative.axes(noised, extent);
  Lab.dots(noised, extent, frame.noised || [], () => Generative.FAKE, {radius: 2, stroke: null});
  if (view.timer === null) showTrajectory((frame.trajectory || []).length - 1);
  const h = frame.history || {step: []};
  Lab.chart($("[data-testid=loss-chart]"), [{label: "training loss", colour: "#1565c0", x: h.step, y: h.train_loss || []}], {log: true});
  Generative.coverageTable($("[data-testid=coverage]"), coverage);
}

function showTrajectory(index) {
  const frame = view.frame, trajectory = (frame && frame.trajectory) || [];
  const canvas = $("[data-testid=samples]"), extent = frame.extent || [-4, 4, -4, 4];
  Generative.clear(canvas); Generative.axes(canvas, extent);
  Lab.dots(canvas, extent, frame.real || [], () => Generative.GREY, {radius: 2, stroke: null});
  const points = trajectory[index] || frame.samples || [];
  Lab.dots(canvas, extent, points, () => Generative.FAKE, {radius: 2, stroke: null});
  const steps = frame.trajectory_steps || [];
  $("[data-testid=trajectory-step]").textContent = trajectory.length ?
    `${frame.sampler} frame ${index + 1} of ${trajectory.length}` + (steps[index] !== undefined ? ` (t = ${steps[index]})` : "") +
    (frame.trajectory_at !== undefined ? `, model of step ${frame.trajectory_at}` : "") : "–";
}

$("[data-testid=animate]").addEventListener("click", () => {
  if (view.timer !== null) return;
  let index = 0;
  view.timer = setInterval(() => {
    const count = ((view.frame && view.frame.trajectory) || []).length;
    if (index >= count) { clearInterval(view.timer); view.timer = null; return; }
    showTrajectory(index++);
  }, 120);
});

Lab.bindTransport(session);
(async () => {
  try {
    await Generative.settingsPanel(session, "diffusion", ["points", "t"]);
    Lab.bindControls(session, $("[data-testid=t]").parentElement);
    await session.open();
  } catch (error) { /* shown in the error box */ }
})();
