import { api } from "../api.js";
import { errorPanel, fmtCount, fmtTime, h, mount } from "../dom.js";

const PAGE_SIZE = 100;

export async function auditPage(main, { query, go }) {
  const page = Math.max(1, Number.parseInt(query.get("page") || "1", 10) || 1);
  const filters = { actor: query.get("actor") || "", device_id: query.get("device_id") || "",
    action: query.get("action") || "" };
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [key, value] of new FormData(event.target)) if (String(value).trim()) chosen.set(key, String(value).trim());
    go(`#/audit?${chosen}`);
  } }, Object.entries(filters).map(([name, value]) => h("input", { name, value, placeholder: name.replace("_", " "),
    maxlength: 255 })), h("button", { type: "submit" }, "Apply"));
  const body = h("div", {}, h("p", { class: "muted" }, "Loading the audit log…"));
  mount(main, h("h1", {}, "Audit log"), form, body);
  let answer;
  try {
    answer = await api("/edge/audit", { query: { ...filters, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE } });
  } catch (error) {
    mount(body, errorPanel(error));
    return;
  }
  const link = (n) => {
    const next = new URLSearchParams(query);
    next.set("page", String(n));
    return `#/audit?${next}`;
  };
  mount(body, h("p", { class: "muted" }, `${fmtCount(answer.total)} records`),
    h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["time", "actor", "role", "action", "target", "outcome",
      "address"].map((c) => h("th", {}, c)))),
    h("tbody", {}, answer.entries.map((e) => h("tr", { testid: "audit-row" }, h("td", {}, fmtTime(e.timestamp)),
      h("td", {}, e.actor), h("td", {}, e.role), h("td", {}, e.action), h("td", {}, e.device_id || e.path),
      h("td", { class: e.outcome >= 400 ? "error" : "" }, e.outcome), h("td", {}, e.client_address || "—"))))),
    h("nav", { class: "pager" }, page > 1 ? h("a", { href: link(page - 1) }, "‹ newer") : null,
      answer.offset + answer.entries.length < answer.total ? h("a", { href: link(page + 1) }, "older ›") : null));
}
