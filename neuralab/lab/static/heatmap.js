// Labelled heatmaps for the model pages (attention weights): rows x columns of values in [0, 1].
"use strict";

Lab.heatmap = function (canvas, matrix, rowLabels, colLabels, {max = null} = {}) {
  const rows = matrix.length, cols = rows ? matrix[0].length : 0;
  const ctx = canvas.getContext("2d"), left = 46, top = 40, cell = Math.max(6, Math.min(24, Math.floor(460 / Math.max(rows, cols, 1))));
  canvas.width = left + cols * cell + 4; canvas.height = top + rows * cell + 4;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const scale = max ?? Math.max(1e-9, ...matrix.flat());
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    const t = Math.max(0, Math.min(1, matrix[i][j] / scale));
    ctx.fillStyle = `rgb(${Math.round(255 - t * 247)},${Math.round(255 - t * 136)},${Math.round(255 - t * 66)})`;  // white -> blue
    ctx.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1);
  }
  const shown = c => (c === " " ? "␣" : c === "\n" ? "↵" : c);
  ctx.fillStyle = "#333"; ctx.font = `${Math.min(12, cell)}px ui-monospace, monospace`; ctx.textAlign = "center";
  colLabels.forEach((c, j) => ctx.fillText(shown(c), left + j * cell + cell / 2, top - 6));
  ctx.textAlign = "right";
  rowLabels.forEach((c, i) => ctx.fillText(shown(c), left - 6, top + i * cell + cell * 0.75));
};
