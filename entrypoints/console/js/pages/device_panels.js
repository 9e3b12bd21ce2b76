// The device page's sections that act on the device: commands (lifecycle and a run form), attestation,
// seals. Each loads itself and shows its own errors, so one failing section leaves the others usable.
import { api } from "../api.js";
import { errorPanel, fmtTime, h, messageOf, mount, statusBadge } from "../dom.js";
import { may } from "../session.js";

const SAFE = ["status", "diagnose", "reboot"];
const PRIVILEGED = ["update", "halt"];

export function attestationPanel(id) {
  const box = h("section", { class: "panel" }, h("h2", {}, "Attestation"), h("p", { class: "muted" }, "Loading…"));
  const load = async () => {
    try {
      const a = await api(`/edge/devices/${encodeURIComponent(id)}/attestation`);
      const events = a.failed_events || a.events_failed || [];
      mount(box, h("h2", {}, "Attestation"),
        h("p", {}, statusBadge(a.attestation_status, "attestation-status"), ` at ${fmtTime(a.timestamp)}`,
          a.verifier ? ` (verifier: ${a.verifier})` : ""),
        a.reasons.length ? h("p", {}, "Reasons: ", a.reasons.join(", ")) : null,
        a.mismatched_pcrs.length ? h("p", { class: "error", testid: "mismatched-pcrs" },
          "Mismatched PCRs: ", a.mismatched_pcrs.join(", ")) : null,
        events.length ? h("ul", { class: "error" }, events.map((e) => h("li", {},
          typeof e === "string" ? e : JSON.stringify(e)))) : null,
        may("attestation:verify") ? h("button", { type: "button", testid: "attest-verify", onclick: async (ev) => {
          ev.target.disabled = true;
          ev.target.textContent = "Verifying…";
          try {
            await api(`/edge/devices/${encodeURIComponent(id)}/attestation/verify`, { method: "POST" });
            await load();
          } catch (error) {
            box.append(errorPanel(error));
            ev.target.disabled = false;
            ev.target.textContent = "Verify now";
          }
        } }, "Verify now") : null);
    } catch (error) {
      mount(box, h("h2", {}, "Attestation"), errorPanel(error));
    }
  };
  load();
  return { box, load };
}

export function commandsPanel(id) {
  const table = h("tbody");
  const note = h("p", { class: "muted", role: "status", testid: "command-note" });
  const box = h("section", { class: "panel" }, h("h2", {}, "Commands"));
  if (may("commands:run-safe")) {
    const names = [...SAFE, ...(may("commands:run-privileged") ? PRIVILEGED : [])];
    const command = h("select", { name: "command", testid: "command-name" }, names.map((n) => h("option", { value: n }, n)));
    const version = h("input", { name: "version", placeholder: "version (update)", maxlength: 64 });
    const run = h("button", { type: "submit", testid: "command-run" }, "Run");
    box.append(h("form", { class: "filters", onsubmit: async (event) => {
      event.preventDefault();
      run.disabled = true;
      const parameters = { timeout: 2 };
      if (command.value === "update") parameters.version = version.value.trim();
      try {
        const answer = await api(`/edge/devices/${encodeURIComponent(id)}/command`, { method: "POST",
          body: { command: command.value, parameters } });
        note.textContent = `Command ${answer.command_id} ${answer.command}: ${answer.status}`;
        await load();
      } catch (error) {
        note.textContent = messageOf(error);
      } finally {
        run.disabled = false;
      }
    } }, command, version, run));
  }
  box.append(note, h("table", { class: "grid" }, h("thead", {}, h("tr", {}, ["id", "command", "status", "by",
    "queued", "delivered", "started", "finished", "result"].map((c) => h("th", {}, c)))), table));
  const load = async () => {
    try {
      const list = await api(`/edge/devices/${encodeURIComponent(id)}/commands`, { query: { limit: 20 } });
      mount(table, list.commands.map((c) => h("tr", { testid: "command-row", "data-command-id": c.id },
        h("td", {}, c.id), h("td", {}, c.command), h("td", {}, statusBadge(c.status, "command-status")),
        h("td", {}, c.requested_by || "—"), h("td", {}, fmtTime(c.created_at)), h("td", {}, fmtTime(c.delivered_at)),
        h("td", {}, fmtTime(c.started_at)), h("td", {}, fmtTime(c.executed_at)),
        h("td", {}, c.result && typeof c.result.message === "string" ? c.result.message : "—"))));
      if (!list.commands.length) mount(table, h("tr", {}, h("td", { colspan: 9, class: "muted" }, "No commands yet.")));
    } catch (error) {
      mount(table, h("tr", {}, h("td", { colspan: 9 }, errorPanel(error))));
    }
  };
  load();
  return { box, load };
}

export function sealsPanel(id) {
  const box = h("section", { class: "panel" }, h("h2", {}, "Seals"));
  api(`/edge/devices/${encodeURIComponent(id)}/seals`).then((answer) => {
    const seals = answer.seals || answer;
    box.append(seals.length ? h("table", { class: "grid" },
      h("thead", {}, h("tr", {}, ["key", "status", "PCRs", "created"].map((c) => h("th", {}, c)))),
      h("tbody", {}, seals.map((s) => h("tr", {}, h("td", {}, s.key_id), h("td", {}, s.status),
        h("td", {}, s.policy || Object.keys(s.pcr_values || {}).join(",")), h("td", {}, fmtTime(s.created_at))))))
      : h("p", { class: "muted" }, "No keys sealed to this device."));
  }, (error) => box.append(errorPanel(error)));
  return box;
}
