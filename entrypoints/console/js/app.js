// The console shell: hash routes, the header, sign-in and sign-out, and one error boundary so a failing
// page shows a message instead of a blank screen.
import { onSignedOut } from "./api.js";
import { errorPanel, h, mount } from "./dom.js";
import { onStreamRefused, startLive, stopLive } from "./live.js";
import { alertsPage } from "./pages/alerts.js";
import { auditPage } from "./pages/audit.js";
import { devicePage } from "./pages/device.js";
import { devicesPage } from "./pages/devices.js";
import { loginPage } from "./pages/login.js";
import { overviewPage } from "./pages/overview.js";
import { clearSession, currentSession, may, millisecondsLeft } from "./session.js";

const ROUTES = [
  [/^\/overview$/, overviewPage],
  [/^\/devices$/, devicesPage],
  [/^\/devices\/([^/]+)$/, devicePage],
  [/^\/alerts$/, alertsPage],
  [/^\/audit$/, auditPage],
];
const main = document.getElementById("main");
let cleanup = null;
let expiryTimer = null;
let notice = "";
let afterSignIn = "#/overview";

function go(hash, force = false) {
  if (window.location.hash === hash && force) route();
  else window.location.hash = hash;
}

function signOut(message = "") {
  notice = message;
  clearTimeout(expiryTimer);
  clearSession();
  stopLive();
  if (!window.location.hash.startsWith("#/login")) afterSignIn = window.location.hash || "#/overview";
  go("#/login", true);
}

function header(session) {
  const top = document.getElementById("top");
  top.hidden = !session;
  if (!session) return;
  const links = [["#/overview", "Overview"], ["#/devices", "Devices"], ["#/alerts", "Alerts"]];
  if (may("audit:read")) links.push(["#/audit", "Audit log"]);
  const current = window.location.hash.split("?")[0];
  mount(document.getElementById("nav"), links.map(([href, text]) => h("a", { href,
    class: current === href || current.startsWith(`${href}/`) ? "current" : "" }, text)));
  mount(document.getElementById("who"), `${session.subject} (${session.role})`);
}

function watchExpiry() {
  clearTimeout(expiryTimer);
  const left = millisecondsLeft();
  if (left <= 0) return false;
  expiryTimer = setTimeout(() => signOut("Your session expired. Please sign in again."), Math.min(left, 2 ** 31 - 1));
  return true;
}

async function route() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const [path, search] = (window.location.hash.slice(1) || "/overview").split("?");
  const session = currentSession();
  if (path === "/login" || !session || !watchExpiry()) {
    if (session && path !== "/login") {
      signOut("Your session expired. Please sign in again.");
      return;
    }
    if (session) clearSession();
    header(null);
    if (path !== "/login") afterSignIn = window.location.hash || "#/overview";
    loginPage(main, { notice, signedIn: () => {
      notice = "";
      startLive();
      go(afterSignIn === "#/login" ? "#/overview" : afterSignIn, true);
    } });
    return;
  }
  header(session);
  startLive();
  const match = ROUTES.map(([pattern, page]) => [path.match(pattern), page]).find(([found]) => found);
  if (!match) {
    mount(main, errorPanel({ message: `There is no page at ${path}.` }), h("a", { href: "#/overview" }, "Overview"));
    return;
  }
  const [found, page] = match;
  const query = new URLSearchParams(search || "");
  try {
    const stop = await page(main, { params: found.slice(1), query, go });
    if (typeof stop === "function") cleanup = stop;
  } catch (error) {
    console.error(error);
    mount(main, errorPanel(error, () => go(window.location.hash, true)));
  }
}

onSignedOut((message) => signOut(message));
onStreamRefused((message) => signOut(message));
document.getElementById("sign-out").addEventListener("click", () => signOut("You signed out."));
window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (event) => {
  const banner = document.getElementById("banner");
  banner.textContent = event.reason && event.reason.message ? event.reason.message : "Something went wrong.";
  banner.hidden = false;
  setTimeout(() => { banner.hidden = true; }, 8000);
});
route();
