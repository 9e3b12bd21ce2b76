// Time-series charts with uPlot (loaded as vendor/uPlot.iife.min.js, pinned in package.json).
import { h } from "./dom.js";

const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706"];

// series: [{label, values}]; times: seconds since the epoch, oldest first.
export function timeChart(title, unit, times, series) {
  const box = h("div", { class: "chart", testid: "device-chart", "data-points": times.length,
    "data-title": title });
  if (!times.length) {
    box.append(h("h3", {}, title), h("p", { class: "muted" }, "No samples in this range."));
    return box;
  }
  if (!window.uPlot) {
    box.append(h("h3", {}, title), h("p", { class: "error" },
      "The chart library is missing from this installation (run make to install it)."));
    return box;
  }
  const options = {
    title, width: 560, height: 220,
    scales: { x: { time: true } },
    axes: [{}, { label: unit, size: 50 }],
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
  };
  // uPlot measures its container: build it once the box is in the document.
  requestAnimationFrame(() => {
    if (!box.isConnected) return;
    options.width = Math.max(320, Math.min(box.clientWidth || 560, 900));
    new window.uPlot(options, [times, ...series.map((s) => s.values)], box);
  });
  return box;
}
