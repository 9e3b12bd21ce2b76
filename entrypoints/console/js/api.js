// The console's only way to the server: the public API with the bearer token in a header.
import { currentSession } from "./session.js";

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

let signedOut = () => {};

export function onSignedOut(handler) {
  signedOut = handler;
}

export async function api(path, { method = "GET", query, body } = {}) {
  const session = currentSession();
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(key, value);
  }
  const headers = { Accept: "application/json" };
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, { method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("Cannot reach the server: it may be restarting. Try again in a moment.", "UNREACHABLE", 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null; // an empty or non-JSON answer
  }
  if (response.ok) return data;
  const message = (data && data.error) || `The server answered ${response.status}`;
  const error = new ApiError(message, (data && data.code) || `HTTP_${response.status}`, response.status);
  if (response.status === 401 && session) {
    signedOut("Your session has expired or is no longer valid. Please sign in again.");
  } else if (response.status === 403) {
    error.message = `Not allowed for your role (${session ? session.role : "none"}): ${message}`;
  } else if (response.status >= 500 && response.status !== 503) {
    error.message = `The server failed (${response.status}); try again, and tell an administrator if it persists.`;
  }
  throw error;
}
