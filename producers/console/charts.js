// Time charts of the console: a thin layer over uPlot (vendor/uPlot.iife.min.js, the global `uPlot`).
"use strict";

const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
const CHART_HEIGHT = 220;
const plots = new Map(); // element id -> {plot, key}: a chart whose series stay the same only gets new data

const seriesColor = (index) => PALETTE[index % PALETTE.length];
// A y range from 0 (counts, lag) with headroom above the largest value.
const fromZero = (u, min, max) => [0, max > 0 ? max * 1.1 : 1];

function forgetChart(id) {
  const known = plots.get(id);
  if (known) known.plot.destroy();
  plots.delete(id);
}

// Draws or updates the chart in element `id`. xs: unix seconds; lines: [{label, values}] with null
// where a line has no value. format: y values as axis ticks and in the legend. range: uPlot's y
// scale range ([min, max] or a function). stepped: a value holds until the next one (prices).
// dots: whether to mark each value (undefined: uPlot marks them when they are far enough apart).
function drawTimeChart(
  id,
  xs,
  lines,
  { format = String, range = fromZero, stepped = false, dots, empty = "no data" } = {},
) {
  const target = document.getElementById(id);
  if (!xs.length || !lines.length) {
    forgetChart(id);
    const note = document.createElement("p");
    note.className = "empty";
    note.textContent = empty;
    target.replaceChildren(note);
    return;
  }
  const data = [xs, ...lines.map((line) => line.values)];
  const key = JSON.stringify([lines.map((line) => line.label), stepped, dots]);
  const known = plots.get(id);
  if (known && known.key === key) {
    known.plot.setData(data);
    return;
  }
  forgetChart(id);
  target.replaceChildren();
  const series = lines.map((line, index) => ({
    label: line.label,
    stroke: seriesColor(index),
    width: 2,
    spanGaps: true,
    value: (u, value) => (value == null ? "-" : format(value)),
    ...(dots === undefined ? {} : { points: { show: dots, size: 7 } }),
    ...(stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
  }));
  const options = {
    width: target.clientWidth,
    height: CHART_HEIGHT,
    scales: { y: { range } },
    axes: [{}, { size: 64, values: (u, ticks) => ticks.map(format) }],
    series: [{}, ...series],
  };
  plots.set(id, { key, plot: new uPlot(options, data, target) });
}

// Charts follow their element's width (the window resized, a hidden view shown).
function fitCharts() {
  for (const [id, { plot }] of plots) {
    const width = document.getElementById(id).clientWidth;
    if (width && width !== plot.width) plot.setSize({ width, height: CHART_HEIGHT });
  }
}

window.addEventListener("resize", fitCharts);
