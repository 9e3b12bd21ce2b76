// The signed-in person's token lives in sessionStorage only (gone with the tab; never in a URL or
// localStorage). Permissions come from the sign-in answer and only decide which controls are shown:
// the server enforces every rule on its own.
const KEY = "edgefleet.session";

export function currentSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY));
    return saved && saved.token ? saved : null;
  } catch {
    return null;
  }
}

export function saveSession(answer) {
  sessionStorage.setItem(KEY, JSON.stringify({
    token: answer.access_token, subject: answer.subject, role: answer.role,
    permissions: answer.permissions || [], expiresAt: answer.expires_at,
  }));
}

export function clearSession() {
  sessionStorage.removeItem(KEY);
}

export function may(permission) {
  const saved = currentSession();
  return Boolean(saved && saved.permissions.includes(permission));
}

export function millisecondsLeft() {
  const saved = currentSession();
  return saved ? Date.parse(saved.expiresAt) - Date.now() : 0;
}
