// @ts-check
import { h, svg } from "./dom.js";

/** @typedef {import("../../../types/api").components["schemas"]["WeekPoint"]} WeekPoint */

const SERIES = /** @type {const} */ ([
  ["productive", "Productive"],
  ["satisfied", "Satisfied"],
  ["body", "Body"],
  ["care", "Care"],
  ["huCaresScore", "HuCares score"],
]);

/**
 * A line chart of the four dimensions and the score per period, as SVG with
 * a text table beside it for screen readers.
 * @param {WeekPoint[]} points oldest first
 */
export function trendChart(points) {
  const width = 640;
  const height = 260;
  const pad = { left: 32, right: 12, top: 12, bottom: 28 };
  const low = -10;
  const high = 30;
  const x = (/** @type {number} */ i) => pad.left + (points.length <= 1 ? 0 : (i * (width - pad.left - pad.right)) / (points.length - 1));
  const y = (/** @type {number} */ v) => pad.top + ((high - v) * (height - pad.top - pad.bottom)) / (high - low);
  const grid = [-10, 0, 10, 20, 30].map((value) =>
    svg("g", { class: "grid" }, svg("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value) }), svg("text", { x: 4, y: y(value) + 4 }, String(value))),
  );
  const lines = SERIES.map(([key, label]) => {
    const coords = points
      .map((point, i) => (point[key] === null ? null : `${x(i).toFixed(1)},${y(Number(point[key])).toFixed(1)}`))
      .filter(Boolean)
      .join(" ");
    const dots = points.flatMap((point, i) =>
      point[key] === null ? [] : [svg("circle", { cx: x(i).toFixed(1), cy: y(Number(point[key])).toFixed(1), r: 3 }, svg("title", {}, `${label} ${point.weekStartDate}: ${point[key]}`))],
    );
    return svg("g", { class: `series series-${key}` }, svg("polyline", { points: coords }), ...dots);
  });
  const labels = points.length
    ? [svg("text", { x: pad.left, y: height - 8 }, points[0].weekStartDate), svg("text", { x: width - pad.right, y: height - 8, "text-anchor": "end" }, points[points.length - 1].weekStartDate)]
    : [];
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": "Trend of your scores per period" }, ...grid, ...lines, ...labels);
  const legend = h("ul", { class: "legend" }, SERIES.map(([key, label]) => h("li", { class: `key-${key}` }, label)));
  // A table is never narrower than its content, whatever its width says: the
  // hiding box around it is what keeps it from widening the page.
  const table = h(
    "table",
    {},
    h("caption", {}, "Scores per period"),
    h("tr", {}, h("th", {}, "Period"), SERIES.map(([, label]) => h("th", {}, label))),
    points.map((point) => h("tr", {}, h("td", {}, point.weekStartDate), SERIES.map(([key]) => h("td", {}, point[key] === null ? "—" : String(point[key]))))),
  );
  return h("figure", { class: "trend", id: "trend" }, chart, legend, h("div", { class: "visually-hidden" }, table));
}
