// @ts-check
import { ApiError } from "../sdk/errors.js";
import { h, replace } from "./dom.js";

/** Advice for the codes people hit most, in words that say what to do. */
const ADVICE = /** @type {Record<string, string>} */ ({
  INVALID_CREDENTIALS: "Check your email and password and try again.",
  EMAIL_ALREADY_EXISTS: "An account with that email exists: sign in, or reset its password.",
  USERNAME_ALREADY_EXISTS: "That username is taken: pick another.",
  INVALID_ACCESS_CODE: "No group has that code. Check the 8 characters with whoever invited you.",
  ALREADY_MEMBER: "You are already in this group.",
  GROUP_FULL: "This group is full. Ask its admin to raise the member limit.",
  DUPLICATE_CHECKIN: "You already checked in to this group for this period. You can edit that check-in instead.",
  CHECKIN_PERIOD_CLOSED: "That period is over, so its check-in can no longer change.",
  RATE_LIMITED: "Too many attempts. Wait a few minutes, then try again.",
  NETWORK_ERROR: "You seem to be offline. Check your connection and try again.",
  TOKEN_INVALID: "This link has expired or was already used. Ask for a new one.",
  INTERNAL_ERROR: "Something went wrong on our side. Try again in a moment.",
  SERVICE_UNAVAILABLE: "HuCares is busy or under maintenance. Try again in a moment.",
});

/**
 * A message element for an error; field errors are also marked on the form's inputs.
 * @param {unknown} error
 * @param {HTMLFormElement} [form]
 */
export function errorBox(error, form) {
  if (!(error instanceof ApiError)) {
    const text = error instanceof Error ? error.message : String(error);
    return h("div", { class: "error", role: "alert" }, text);
  }
  const lines = [];
  let placed = 0;
  for (const { field, message } of error.fieldErrors) {
    const input = form?.querySelector(`[name="${CSS.escape(field)}"]`);
    if (input) {
      const id = `${input.id || field}-error`;
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", id);
      input.after(h("span", { class: "field-error", id }, message));
      placed += 1;
    } else {
      lines.push(h("li", {}, `${field}: ${message}`));
    }
  }
  return h(
    "div",
    { class: "error", role: "alert", "data-code": error.code },
    // When every problem is marked at its field, the box only points there.
    h("p", {}, placed && !lines.length ? "Check the marked field and try again." : error.message),
    ADVICE[error.code] ? h("p", {}, ADVICE[error.code]) : null,
    lines.length ? h("ul", {}, lines) : null,
    error.requestId ? h("p", { class: "request-id" }, `Reference: ${error.requestId}`) : null,
  );
}

/**
 * Run a form's submit: busy state, errors shown next to the form and its fields.
 * @param {HTMLFormElement} form
 * @param {(values: Record<string, string>, form: HTMLFormElement) => Promise<void>} action
 */
export function onSubmit(form, action) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  form.append(status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = /** @type {HTMLButtonElement | null} */ (form.querySelector("button[type=submit]"));
    for (const old of form.querySelectorAll(".field-error")) old.remove();
    for (const old of form.querySelectorAll("[aria-invalid]")) old.removeAttribute("aria-invalid");
    replace(status);
    if (button) button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      /** @type {Record<string, string>} */
      const values = {};
      for (const [name, value] of new FormData(form)) values[name] = String(value);
      await action(values, form);
    } catch (error) {
      replace(status, errorBox(error, form));
    } finally {
      if (button) button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });
  return status;
}

/**
 * A labelled input.
 * @param {string} label
 * @param {import("./dom.js").Attrs & {name: string}} attrs
 */
export function field(label, attrs) {
  const id = `f-${attrs.name}`;
  return h("div", { class: "field" }, h("label", { for: id }, label), h("input", { id, ...attrs }));
}

/** @param {string} text */
export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

/** @param {string} text @param {import("./dom.js").Child} [action] */
export function empty(text, action) {
  return h("div", { class: "empty" }, h("p", {}, text), action ?? null);
}

/**
 * Fill `target` with what `load` returns, showing a loading state and errors with a retry.
 * @template T
 * @param {HTMLElement} target
 * @param {() => Promise<T>} load
 * @param {(data: T) => import("./dom.js").Child | import("./dom.js").Child[]} render
 */
export async function section(target, load, render) {
  replace(target, loading());
  try {
    const data = await load();
    replace(target, render(data));
  } catch (error) {
    replace(target, errorBox(error), h("button", { type: "button", onclick: () => section(target, load, render) }, "Try again"));
  }
}
