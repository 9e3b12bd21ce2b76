import { api } from "../api.js";
import { errorPanel, fmtCount, fmtNum, fmtTime, h, mount, statusBadge } from "../dom.js";
import { onLive } from "../live.js";

const PAGE_SIZE = 50;
const STATUSES = ["", "online", "degraded", "offline", "unknown"];
const PLATFORMS = ["", "atlas", "hisilicon"];

function select(name, values, current) {
  return h("select", { name, testid: `filter-${name}` },
    values.map((v) => h("option", { value: v, selected: v === current }, v || `any ${name}`)));
}

export async function devicesPage(main, { query, go }) {
  const page = Math.max(1, Number.parseInt(query.get("page") || "1", 10) || 1);
  const filters = { q: query.get("q") || "", status: query.get("status") || "",
    platform: query.get("platform") || "", location: query.get("location") || "" };
  const form = h("form", { class: "filters", role: "search", onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [key, value] of new FormData(event.target)) if (String(value).trim()) chosen.set(key, String(value).trim());
    go(`#/devices?${chosen}`);
  } },
  h("input", { name: "q", value: filters.q, placeholder: "id or name", maxlength: 64, testid: "filter-q",
    "aria-label": "search by id or name" }),
  select("status", STATUSES, filters.status), select("platform", PLATFORMS, filters.platform),
  h("input", { name: "location", value: filters.location, placeholder: "location", maxlength: 255,
    testid: "filter-location", "aria-label": "location" }),
  h("button", { type: "submit", testid: "filter-apply" }, "Apply"));
  for (const element of form.querySelectorAll("select")) element.addEventListener("change", () => form.requestSubmit());

  const body = h("div", {}, h("p", { class: "muted" }, "Loading devices…"));
  mount(main, h("h1", {}, "Devices"), form, body);
  let listing;
  try {
    listing = await api("/edge/devices", { query: { ...filters, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE } });
  } catch (error) {
    mount(body, errorPanel(error, () => devicesPage(main, { query, go })));
    return undefined;
  }
  const rows = listing.devices.map((d) => h("tr", { testid: "device-row", "data-device-id": d.id },
    h("td", {}, h("a", { href: `#/devices/${encodeURIComponent(d.id)}` }, d.id)),
    h("td", {}, d.name), h("td", {}, d.platform), h("td", {}, statusBadge(d.status, "device-status")),
    h("td", {}, d.location || "—"), h("td", { class: "num" }, fmtNum(d.cpu_usage, " %")),
    h("td", { class: "num" }, fmtNum(d.memory_usage, " %")), h("td", { class: "num" }, fmtNum(d.temperature, " °C")),
    h("td", {}, fmtTime(d.last_seen))));
  const pages = Math.max(1, Math.ceil(listing.total / PAGE_SIZE));
  const link = (n) => {
    const next = new URLSearchParams(query);
    next.set("page", String(n));
    return `#/devices?${next}`;
  };
  const first = listing.total ? listing.offset + 1 : 0;
  mount(body,
    h("p", { class: "muted", testid: "device-total" },
      `${fmtCount(first)}–${fmtCount(listing.offset + listing.devices.length)} of ${fmtCount(listing.total)} devices`),
    listing.devices.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["id", "name", "platform", "status", "location", "CPU", "memory",
        "temperature", "last seen"].map((c) => h("th", {}, c)))),
      h("tbody", {}, rows)) : h("p", { class: "panel" }, "No device matches these filters."),
    h("nav", { class: "pager" },
      page > 1 ? h("a", { href: link(page - 1), testid: "page-prev" }, "‹ previous") : null,
      h("span", {}, ` page ${fmtCount(page)} of ${fmtCount(pages)} `),
      page < pages ? h("a", { href: link(page + 1), testid: "page-next" }, "next ›") : null));
  performance.mark("devices-rendered"); // what benchmarks/bench_console.py times

  return onLive((message) => {
    if (message.type !== "device_status") return;
    const row = body.querySelector(`tr[data-device-id="${CSS.escape(message.device_id)}"]`);
    if (row) row.querySelector("[data-testid=device-status]").replaceWith(statusBadge(message.new, "device-status"));
  });
}
