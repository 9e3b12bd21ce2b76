import { api } from "../api.js";
import { debounce, errorPanel, fmtCount, fmtNum, fmtTime, h, messageOf, mount, statusBadge } from "../dom.js";
import { onLive } from "../live.js";
import { may } from "../session.js";

const STATUSES = ["open", "active", "acknowledged", "resolved", "all"];
const SEVERITIES = ["", "critical", "warning", "info"];

export async function alertsPage(main, { query, go }) {
  const filters = { status: query.get("status") || "open", severity: query.get("severity") || "",
    device_id: query.get("device_id") || "" };
  const form = h("form", { class: "filters", onsubmit: (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [key, value] of new FormData(event.target)) if (String(value).trim()) chosen.set(key, String(value).trim());
    go(`#/alerts?${chosen}`);
  } },
  h("select", { name: "status", testid: "filter-alert-status" },
    STATUSES.map((v) => h("option", { value: v, selected: v === filters.status }, v))),
  h("select", { name: "severity", testid: "filter-severity" },
    SEVERITIES.map((v) => h("option", { value: v, selected: v === filters.severity }, v || "any severity"))),
  h("input", { name: "device_id", value: filters.device_id, placeholder: "device id", maxlength: 64 }),
  h("button", { type: "submit" }, "Apply"));
  for (const element of form.querySelectorAll("select")) element.addEventListener("change", () => form.requestSubmit());
  const body = h("div", {}, h("p", { class: "muted" }, "Loading alerts…"));
  mount(main, h("h1", {}, "Alerts"), form, body);

  const acknowledge = async (alert, button) => {
    button.disabled = true;
    try {
      await api(`/edge/alerts/${encodeURIComponent(alert.id)}/acknowledge`, { method: "POST" });
      await load();
    } catch (error) {
      button.disabled = false;
      button.after(h("span", { class: "error" }, ` ${messageOf(error)}`));
    }
  };
  const load = async () => {
    let answer;
    try {
      answer = await api("/edge/alerts", { query: { ...filters, limit: 200 } });
    } catch (error) {
      mount(body, errorPanel(error, load));
      return;
    }
    mount(body, h("p", { class: "muted" }, `${fmtCount(answer.total)} alerts`),
      answer.alerts.length ? h("table", { class: "grid" },
        h("thead", {}, h("tr", {}, ["severity", "device", "rule", "message", "value", "status", "raised", ""]
          .map((c) => h("th", {}, c)))),
        h("tbody", {}, answer.alerts.map((a) => h("tr", { testid: "alert-row", "data-alert-id": a.id },
          h("td", {}, statusBadge(a.severity)), h("td", {}, h("a", { href: `#/devices/${encodeURIComponent(a.device_id)}` },
            a.device_id)), h("td", {}, a.rule), h("td", {}, a.message), h("td", { class: "num" }, fmtNum(a.value)),
          h("td", {}, statusBadge(a.status, "alert-status"),
            a.acknowledged_by ? ` by ${a.acknowledged_by}` : ""), h("td", {}, fmtTime(a.timestamp)),
          h("td", {}, may("alerts:acknowledge") && a.status === "active"
            ? h("button", { type: "button", testid: "alert-ack", onclick: (ev) => acknowledge(a, ev.target) },
              "Acknowledge") : null)))))
        : h("p", { class: "panel" }, "No alerts match."));
  };
  await load();
  const reload = debounce(load, 300);
  return onLive((message) => {
    if (message.type === "alert" || message.type === "reconnected") reload();
  });
}
