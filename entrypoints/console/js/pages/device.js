import { api } from "../api.js";
import { timeChart } from "../chart.js";
import { debounce, errorPanel, fmtNum, fmtTime, h, mount, statusBadge } from "../dom.js";
import { onLive } from "../live.js";
import { may } from "../session.js";
import { attestationPanel, commandsPanel, sealsPanel } from "./device_panels.js";

// Range -> [seconds, resolution]: the rollups keep every range within two pages of 1000 points.
const RANGES = { "1h": [3600, "raw"], "6h": [6 * 3600, "1m"], "24h": [86400, "1m"], "7d": [7 * 86400, "1h"],
  "30d": [30 * 86400, "1h"] };

async function history(id, range) {
  const [seconds, resolution] = RANGES[range];
  const start = new Date(Date.now() - seconds * 1000).toISOString();
  const points = [];
  for (let offset = 0; offset < 2000; offset += 1000) {
    const page = await api(`/edge/devices/${encodeURIComponent(id)}/history`,
      { query: { start_time: start, resolution, limit: 1000, offset } });
    points.push(...page.history);
    if (page.history.length < 1000) break;
  }
  return points.reverse(); // oldest first for the chart
}

function charts(points) {
  const times = points.map((p) => Date.parse(p.timestamp) / 1000);
  const pick = (key) => points.map((p) => (p[key] === null || p[key] === undefined ? null : p[key]));
  const list = [
    timeChart("CPU and memory", "%", times, [{ label: "CPU %", values: pick("cpu_usage") },
      { label: "memory %", values: pick("memory_usage") }]),
    timeChart("Temperature", "°C", times, [{ label: "°C", values: pick("temperature") }]),
  ];
  if (points.some((p) => p.ai_core_usage !== null || p.power_w !== null)) {
    list.push(timeChart("NPU", "% / W", times, [{ label: "AI core %", values: pick("ai_core_usage") },
      { label: "power W", values: pick("power_w") }]));
  }
  return list;
}

function facts(device) {
  const row = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
  const m = device.metrics || {};
  const s = device.security || {};
  const hw = device.hardware || {};
  return h("dl", { class: "facts" },
    row("status", statusBadge(device.status, "device-status")), row("platform", device.platform),
    row("location", device.location || "—"), row("model", hw.model || "—"),
    row("firmware", device.firmware_version || "—"),
    row("CPU", fmtNum(m.cpu_usage, " %")), row("memory", fmtNum(m.memory_usage, " %")),
    row("temperature", fmtNum(m.temperature, " °C")), row("last seen", fmtTime(device.last_seen)),
    row("TEE", s.tee_enabled ? s.tee_type || "yes" : "no"),
    row("TPM attestation", s.tpm_attestation ? `yes (${device.attestation_status})` : "no"),
    row("seal", s.seal_status || "none"));
}

export async function devicePage(main, { params, query, go }) {
  const id = decodeURIComponent(params[0]);
  const range = RANGES[query.get("range")] ? query.get("range") : "24h";
  const header = h("div");
  const chartBox = h("div", { class: "charts" }, h("p", { class: "muted" }, "Loading metrics…"));
  const ranges = h("nav", { class: "ranges" }, Object.keys(RANGES).map((r) => h("a", {
    href: `#/devices/${encodeURIComponent(id)}?range=${r}`, class: r === range ? "current" : "", testid: `range-${r}` }, r)));
  mount(main, h("p", {}, h("a", { href: "#/devices" }, "‹ devices")), header);

  const showGone = (error) => mount(main, h("p", {}, h("a", { href: "#/devices" }, "‹ devices")),
    errorPanel(error.status === 404
      ? { message: `Device ${id} no longer exists (it may have been decommissioned).` } : error,
    () => go(window.location.hash, true)));
  const refresh = async () => {
    const device = await api(`/edge/devices/${encodeURIComponent(id)}`);
    mount(header, h("h1", {}, device.name, h("span", { class: "muted" }, ` ${device.id}`)), facts(device));
  };
  try {
    await refresh();
  } catch (error) {
    showGone(error);
    return undefined;
  }
  const commands = may("commands:read") ? commandsPanel(id) : null;
  const attestation = may("attestation:read") ? attestationPanel(id) : null;
  main.append(h("section", { class: "panel" }, h("h2", {}, "Metrics"), ranges, chartBox),
    commands ? commands.box : null, attestation ? attestation.box : null, may("keys:read-seals") ? sealsPanel(id) : null);
  try {
    mount(chartBox, charts(await history(id, range)));
  } catch (error) {
    mount(chartBox, errorPanel(error));
  }

  const reloadCommands = debounce(() => commands && commands.load(), 200);
  const stop = onLive((message) => {
    if (message.type === "reconnected") {
      refresh().catch(showGone);
      reloadCommands();
    } else if (message.device_id !== id) {
      // not this device
    } else if (message.type === "device_status") {
      const badge = header.querySelector("[data-testid=device-status]");
      if (badge) badge.replaceWith(statusBadge(message.new, "device-status"));
    } else if (message.type === "command") {
      reloadCommands();
    } else if (message.type === "attestation" && attestation) {
      attestation.load();
    }
  });
  // A device decommissioned meanwhile sends no event: look again now and then.
  const timer = setInterval(() => refresh().catch((error) => {
    if (error.status === 404) {
      clearInterval(timer);
      showGone(error);
    }
  }), 30000);
  return () => {
    stop();
    clearInterval(timer);
  };
}
