import { api } from "../api.js";
import { debounce, errorPanel, fmtCount, fmtTime, h, mount, statusBadge } from "../dom.js";
import { onLive } from "../live.js";
import { may } from "../session.js";

function counts(title, figures, link) {
  const entries = Object.entries(figures).sort((a, b) => b[1] - a[1]);
  return h("section", { class: "panel card", testid: `counts-${title.toLowerCase()}` }, h("h2", {}, `By ${title}`),
    entries.length ? h("table", { class: "grid" }, h("tbody", {}, entries.map(([key, n]) => h("tr", {},
      h("td", {}, link ? h("a", { href: link(key) }, key) : key), h("td", { class: "num" }, fmtCount(n))))))
      : h("p", { class: "muted" }, "No devices."));
}

async function optional(path, query) {
  try {
    return await api(path, { query });
  } catch (error) {
    return { failed: error };
  }
}

async function render(body) {
  const [summary, health, security, compliance] = await Promise.all([
    api("/edge/fleet/summary"), optional("/edge/health"), optional("/edge/metrics"),
    may("compliance:read") ? optional("/edge/security/compliance", { limit: 100 }) : null]);
  const devicesWith = (key) => (value) => `#/devices?${new URLSearchParams({ [key]: value })}`;
  const healthPanel = health.failed ? errorPanel(health.failed) : h("section", { class: "panel card" },
    h("h2", {}, "Health"), h("p", {}, statusBadge(health.overall_status, "health-status")),
    h("p", {}, `${fmtCount(health.devices_online)} online, ${fmtCount(health.devices_degraded)} degraded, `,
      `${fmtCount(health.devices_offline)} offline`),
    h("h3", {}, h("a", { href: "#/alerts" }, `Open alerts (${fmtCount(health.alerts.length)})`)),
    h("ul", { class: "plain" }, health.alerts.slice(0, 8).map((a) => h("li", {}, statusBadge(a.severity), " ",
      h("a", { href: `#/devices/${encodeURIComponent(a.device_id)}` }, a.device_id), ` ${a.message} `,
      h("span", { class: "muted" }, fmtTime(a.timestamp))))));
  const securityPanel = security.failed ? errorPanel(security.failed) : h("section", { class: "panel card" },
    h("h2", {}, "Attestation and keys"), h("table", { class: "grid" }, h("tbody", {}, [
      ["devices", security.total_devices], ["TEE and TPM", security.secure_devices],
      ["attested (fresh)", security.attestation_success], ["holding a sealed key", security.encryption_enabled],
      ["AK bound (%)", security.device_binding], ["seal status", security.seal_status],
    ].map(([label, value]) => h("tr", {}, h("td", {}, label), h("td", { class: "num" }, String(value)))))));
  let compliancePanel = null;
  if (compliance && compliance.failed) compliancePanel = errorPanel(compliance.failed);
  else if (compliance) {
    const scores = compliance.devices.map((d) => d.compliance_score);
    const failing = compliance.devices.filter((d) => d.failing.length);
    compliancePanel = h("section", { class: "panel card" }, h("h2", {}, "Compliance"),
      h("p", {}, `Average score ${scores.length ? Math.round(scores.reduce((a, b) => a + b, 0) / scores.length) : "—"}`,
        ` over the first ${fmtCount(scores.length)} of ${fmtCount(compliance.total)} devices`),
      h("ul", { class: "plain" }, failing.slice(0, 8).map((d) => h("li", {},
        h("a", { href: `#/devices/${encodeURIComponent(d.device_id)}` }, d.device_id),
        ` ${d.compliance_score}: ${d.failing.join(", ")}`))));
  }
  mount(body, h("p", { class: "muted", testid: "fleet-total" }, `${fmtCount(summary.total)} devices in the fleet`),
    h("div", { class: "cards" }, counts("status", summary.by_status, devicesWith("status")),
      counts("platform", summary.by_platform, devicesWith("platform")),
      counts("location", summary.by_location, (key) => (key === "none" || key === "other" ? null : devicesWith("location")(key))),
      healthPanel, securityPanel, compliancePanel));
}

export async function overviewPage(main) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading the fleet…"));
  mount(main, h("h1", {}, "Overview"), body);
  const load = async () => {
    try {
      await render(body);
    } catch (error) {
      mount(body, errorPanel(error, load));
    }
  };
  await load();
  const reload = debounce(load, 1000);
  return onLive((message) => {
    if (["device_status", "alert", "reconnected"].includes(message.type)) reload();
  });
}
