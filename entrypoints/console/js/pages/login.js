import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { saveSession } from "../session.js";

export function loginPage(main, { notice, signedIn }) {
  const error = h("p", { class: "error", role: "alert", testid: "login-error", hidden: !notice }, notice || "");
  const user = h("input", { id: "user", name: "username", autocomplete: "username", required: true,
    maxlength: 64, testid: "login-user" });
  const password = h("input", { id: "password", name: "password", type: "password", required: true,
    autocomplete: "current-password", maxlength: 1024, testid: "login-password" });
  const submit = h("button", { type: "submit", testid: "login-submit" }, "Sign in");
  const form = h("form", { class: "panel login", onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      const answer = await api("/auth/login", { method: "POST",
        body: { username: user.value.trim(), password: password.value } });
      password.value = "";
      saveSession(answer);
      signedIn();
    } catch (failure) {
      error.textContent = failure.status === 429
        ? "Too many failed attempts: wait a few minutes before trying again."
        : failure.message;
      error.hidden = false;
      password.value = "";
      password.focus();
    } finally {
      submit.disabled = false;
    }
  } },
  h("h1", {}, "Sign in to edgefleet"),
  h("label", { for: "user" }, "User name"), user,
  h("label", { for: "password" }, "Password"), password,
  submit, error);
  mount(main, form);
  user.focus();
}
