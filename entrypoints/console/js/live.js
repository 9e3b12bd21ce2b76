// The live stream: one WebSocket for the whole console, re-opened with backoff when it drops (a server
// restart, a network blip). The token travels as a subprotocol, so it never appears in a URL.
import { currentSession } from "./session.js";

const listeners = new Set();
let socket = null;
let retries = 0;
let timer = null;
let running = false;
let expiredHandler = () => {};

export function onLive(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function onStreamRefused(handler) {
  expiredHandler = handler;
}

export function startLive() {
  if (running) return;
  running = true;
  connect();
}

export function stopLive() {
  running = false;
  clearTimeout(timer);
  if (socket) socket.close(1000);
  socket = null;
  indicate("off", "offline");
}

function emit(message) {
  for (const listener of listeners) {
    try {
      listener(message);
    } catch (error) {
      console.error("live update failed", error);
    }
  }
}

function connect() {
  const session = currentSession();
  if (!running || !session) return;
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const opened = new WebSocket(`${scheme}//${window.location.host}/api/v1/edge/stream`,
    ["edgefleet.bearer", session.token]);
  socket = opened;
  opened.onopen = () => {
    const wasDown = retries > 0;
    retries = 0;
    indicate("live", "live");
    if (wasDown) emit({ type: "reconnected" }); // pages re-read what they may have missed
  };
  opened.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === "lagged") emit({ type: "reconnected" });
    else if (message.type !== "error") emit(message);
  };
  opened.onclose = (event) => {
    if (socket !== opened) return;
    socket = null;
    if (!running) return;
    if (event.code === 4401) {
      expiredHandler("Your session has expired. Please sign in again.");
      return;
    }
    indicate("reconnecting", "reconnecting…");
    timer = setTimeout(connect, Math.min(15000, 500 * 2 ** retries++));
  };
}

function indicate(state, text) {
  const element = document.getElementById("live");
  if (!element) return;
  element.dataset.state = state;
  element.textContent = text;
}
