// Building DOM nodes: text always goes in as text nodes, so nothing from the server is ever parsed as HTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "testid") el.dataset.testid = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

export function fmtNum(value, unit = "", digits = 1) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)}${unit}`;
}

export function fmtCount(value) {
  return Number(value || 0).toLocaleString();
}

export function statusBadge(status, testid) {
  return h("span", { class: `badge status-${status}`, testid }, status);
}

export function errorPanel(error, retry) {
  return h("div", { class: "panel error", role: "alert", testid: "page-error" },
    h("strong", {}, messageOf(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null);
}

export function messageOf(error) {
  return error && error.message ? error.message : "Something went wrong; reload the page.";
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}
