// @ts-check
import { HuCares, unwrapWithMeta } from "../sdk/client.js";
import { h, replace } from "./dom.js";
import { authRoutes } from "./views-auth.js";
import { groupRoutes } from "./views-groups.js";
import { meRoutes } from "./views-me.js";

/**
 * @typedef {{sdk: HuCares, main: HTMLElement, navigate: (path: string) => void, params: Record<string, string>,
 *            query: URLSearchParams, cleanup: (fn: () => void) => void, flash: (text: string) => void,
 *            app: {startSession: () => void, setUnread: (count: number) => void, refreshUnread: () => Promise<void>}}} Context
 * @typedef {{path: RegExp, view: (ctx: Context) => Promise<void> | void, public?: boolean, title: string}} Route
 */

const sdk = new HuCares({
  baseUrl: location.origin,
  storage: localStorage,
  locks: navigator.locks ?? null,
});
// Exposed for the browser tests and for debugging from the console.
Object.assign(window, { hucares: sdk });

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const topbar = /** @type {HTMLElement} */ (document.getElementById("topbar"));
const banner = /** @type {HTMLElement} */ (document.getElementById("banner"));

/** @type {Route[]} */
const routes = [...authRoutes, ...groupRoutes, ...meRoutes];
/** @type {Route} */
const notFound = {
  path: /^$/,
  title: "Not found",
  public: true,
  view: (ctx) =>
    replace(
      ctx.main,
      h(
        "section",
        { class: "card narrow not-found" },
        h("h1", {}, "Page not found"),
        h("p", {}, "There is nothing at this address. It may have moved, or the link was mistyped."),
        h("p", {}, h("a", { href: "/", class: "button" }, "Go to your groups")),
      ),
    ),
};
/** @type {(() => void)[]} */
let cleanups = [];
let unread = 0;

/** @param {string} text */
function flash(text) {
  replace(banner, h("p", { class: "flash" }, text, " ", h("button", { type: "button", onclick: () => replace(banner) }, "Dismiss")));
}

/** @param {string} path */
function navigate(path) {
  history.pushState({}, "", path);
  render();
}

async function render() {
  for (const fn of cleanups) fn();
  cleanups = [];
  const route = routes.find((candidate) => candidate.path.test(location.pathname)) ?? notFound;
  if (!route.public && !sdk.auth.signedIn) {
    history.replaceState({}, "", `/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return render();
  }
  const match = location.pathname.match(route.path);
  document.title = `${route.title} · HuCares`;
  renderTopbar();
  replace(main, h("p", { class: "loading", role: "status" }, "Loading…"));
  /** @type {Context} */
  const ctx = {
    sdk,
    main,
    navigate,
    flash,
    params: match?.groups ?? {},
    query: new URLSearchParams(location.search),
    cleanup: (fn) => cleanups.push(fn),
    app: { startSession, setUnread, refreshUnread },
  };
  try {
    await route.view(ctx);
  } catch (error) {
    replace(main, h("div", { class: "error", role: "alert" }, String(error)));
  }
  main.focus({ preventScroll: true });
}

function renderTopbar() {
  const user = sdk.auth.session?.user;
  if (!user) {
    replace(topbar, h("a", { href: "/", class: "brand" }, "HuCares"));
    return;
  }
  /** @param {string} href @param {string} label @param {import("./dom.js").Child} [extra] */
  const link = (href, label, extra) =>
    h("a", { href, "aria-current": location.pathname === href ? "page" : null }, label, extra ?? null);
  replace(
    topbar,
    h("a", { href: "/", class: "brand" }, "HuCares"),
    h(
      "nav",
      { "aria-label": "Main" },
      link("/", "Groups"),
      link("/checkin", "Check in"),
      link("/history", "History"),
      link("/analytics", "Insights"),
      link("/notifications", "Alerts", h("span", { class: "badge", id: "unread", "aria-label": `${unread} unread` }, unread ? String(unread) : "")),
      link("/profile", "Profile"),
    ),
    h("span", { class: `live live-${liveState()}`, id: "live-state", title: "Live updates", role: "status" }, liveLabel()),
    h("span", { id: "pending", class: "pending-count" }),
  );
  updatePending();
}

/**
 * The socket can look open for a while after the network went away; the
 * browser's own online state says so at once, so it wins.
 */
function liveState() {
  return navigator.onLine ? sdk.live.state : "offline";
}

function liveLabel() {
  return { open: "Live", connecting: "Connecting…", polling: "Live (polling)", offline: "Offline", stopped: "" }[liveState()];
}

function showLiveState() {
  const target = document.getElementById("live-state");
  if (target) {
    target.className = `live live-${liveState()}`;
    target.textContent = liveLabel();
  }
}

/** @param {number} count */
function setUnread(count) {
  unread = Math.max(0, count);
  const badge = document.getElementById("unread");
  if (badge) {
    badge.textContent = unread ? String(unread) : "";
    badge.setAttribute("aria-label", `${unread} unread`);
  }
}

async function refreshUnread() {
  try {
    const { meta } = await unwrapWithMeta(sdk.api.GET("/api/v1/notifications", { params: { query: { unread: true, limit: 1 } } }));
    setUnread(Number(meta.unreadCount ?? meta.pagination?.total ?? 0));
  } catch {
    // The badge is a hint: a failure here must not break the page.
  }
}

async function updatePending() {
  const target = document.getElementById("pending");
  if (!target) return;
  const items = await sdk.queue.list();
  const pending = items.filter((item) => item.status === "pending").length;
  target.textContent = pending ? `${pending} check-in${pending > 1 ? "s" : ""} waiting to send` : "";
}

function startSession() {
  sdk.live.start();
  refreshUnread();
  sdk.queue.flush().catch(() => undefined);
}

sdk.live.on("state", showLiveState);
window.addEventListener("offline", showLiveState);
sdk.live.on("notification", () => setUnread(unread + 1));
sdk.live.on("resync", () => refreshUnread());
// Read or deleted on another device: the count follows.
sdk.live.on("notification-read", () => refreshUnread());
sdk.live.on("notifications-read-all", () => setUnread(0));
sdk.live.on("notification-deleted", () => refreshUnread());
sdk.queue.onChange(() => updatePending());

sdk.auth.onChange((session, reason) => {
  if (session) return;
  sdk.live.stop();
  // What the worker kept of this person's data must not outlive the session.
  globalThis.caches?.delete("hucares-data").catch(() => undefined);
  if (reason) flash(reason);
  navigate("/login");
});
window.addEventListener("storage", (event) => {
  // Signed in or out in another tab.
  if (event.key === "hucares.session" && (event.oldValue === null) !== (event.newValue === null)) location.reload();
});
window.addEventListener("online", () => {
  showLiveState();
  sdk.live.reconnectNow();
  sdk.queue.flush().catch(() => undefined);
});
window.addEventListener("popstate", () => render());
document.addEventListener("click", (event) => {
  const anchor = /** @type {HTMLElement} */ (event.target).closest?.("a");
  if (!anchor || anchor.target || anchor.hasAttribute("download") || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/admin/")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

if (sdk.auth.signedIn) startSession();
render();
// The worker lets the app open without a network; without one the app works as before.
navigator.serviceWorker?.register("/sw.js").catch(() => undefined);
