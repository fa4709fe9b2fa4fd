// @ts-check
import { errorFromResponse } from "../sdk/errors.js";
import { unwrap, unwrapWithMeta } from "../sdk/http.js";
import { countCheckIns, forgetOldKeys, LAST_IMPORT_KEY, parseExportFile, readOldKeys } from "../sdk/migration.js";
import { deviceName } from "./agent.js";
import { trendChart } from "./chart.js";
import { formatDate, formatDateTime, h, replace } from "./dom.js";
import { empty, errorBox, field, loading, onSubmit, section } from "./ui.js";

/** @typedef {import("./main.js").Context} Context */
/** @typedef {import("../../../types/api").components["schemas"]} Schemas */

/** @param {Context} ctx */
async function historyPage(ctx) {
  const chart = h("section", { class: "card" }, loading());
  const list = h("section", { class: "card" }, loading());
  replace(ctx.main, h("h1", {}, "History"), chart, list);
  /** @type {Schemas["CheckIn"][]} */
  let rows = [];
  await Promise.all([
    section(list, () => unwrapWithMeta(ctx.sdk.api.GET("/api/v1/checkins/history")), ({ data, meta }) => {
      rows = data;
      const summary = meta.summary ?? {};
      return data.length
        ? [
            h("h2", {}, "Your check-ins"),
            h("p", { class: "muted" }, `${summary.totalCheckIns ?? data.length} check-ins · average ${summary.averageScore ?? "—"} · best ${summary.highestScore ?? "—"} · streak ${summary.currentStreak ?? 0} (longest ${summary.longestStreak ?? 0})`),
            h("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "Your check-ins" }, h("table", { class: "history" },
              h("thead", {}, h("tr", {}, ["Period", "HuCares score", "Productive", "Satisfied", "Body", "Care", "Note"].map((label) => h("th", { scope: "col" }, label)))),
              h("tbody", {}, data.map((row) =>
                h("tr", {}, h("td", {}, formatDate(row.weekStartDate)), h("td", {}, h("strong", {}, String(row.huCaresScore))),
                  h("td", {}, String(row.productive)), h("td", {}, String(row.satisfied)), h("td", {}, String(row.body)), h("td", {}, String(row.care)),
                  h("td", {}, row.moodEmoji ?? "", " ", row.reflectionNote ?? "")),
              )),
            )),
          ]
        : empty("No check-ins yet.", h("a", { href: "/checkin", class: "button" }, "Check in"));
    }),
  ]);
  const points = periodAverages(rows);
  replace(chart, points.length ? [h("h2", {}, "Trend"), trendChart(points)] : empty("Your trend appears after your first check-in."));
}

/**
 * One point per period (averaged over groups), oldest first, from check-ins.
 * @param {Schemas["CheckIn"][]} rows
 * @returns {Schemas["WeekPoint"][]}
 */
export function periodAverages(rows) {
  /** @type {Map<string, Schemas["CheckIn"][]>} */
  const byPeriod = new Map();
  for (const row of rows) byPeriod.set(row.weekStartDate, [...(byPeriod.get(row.weekStartDate) ?? []), row]);
  const keys = /** @type {const} */ (["productive", "satisfied", "body", "care", "huCaresScore"]);
  return [...byPeriod.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([weekStartDate, group]) => {
      /** @type {Schemas["WeekPoint"]} */
      const point = { weekStartDate, productive: null, satisfied: null, body: null, care: null, huCaresScore: null };
      for (const key of keys) {
        const values = group.map((row) => row[key]).filter((value) => value !== null).map(Number);
        point[key] = values.length ? Math.round((values.reduce((sum, value) => sum + value, 0) / values.length) * 10) / 10 : null;
      }
      return point;
    });
}

/** @param {Context} ctx */
async function analyticsPage(ctx) {
  const personal = h("section", { class: "card" }, loading());
  const insights = h("section", { class: "card", id: "insights" }, loading());
  replace(ctx.main, h("h1", {}, "Insights"), insights, personal);
  await Promise.all([
    section(insights, () => unwrap(ctx.sdk.api.GET("/api/v1/analytics/insights")), (items) =>
      items.length
        ? [h("h2", {}, "What your check-ins say"), h("ul", { class: "insights" }, items.map((item) =>
            h("li", { class: `insight ${item.severity}` }, h("strong", {}, item.title), h("p", {}, item.message))))]
        : empty("Insights appear after a few check-ins."),
    ),
    section(personal, () => unwrap(ctx.sdk.api.GET("/api/v1/analytics/personal", { params: { query: { weeks: 12 } } })), (data) => {
      const dims = /** @type {const} */ (["productive", "satisfied", "body", "care", "huCaresScore"]);
      return [
        h("h2", {}, "Last 12 periods"),
        h("div", { class: "table-scroll" }, h("table", {},
          h("thead", {}, h("tr", {}, h("td", {}), h("th", { scope: "col" }, "Average"), h("th", { scope: "col" }, "Trend per period"))),
          h("tbody", {}, dims.map((key) => h("tr", {}, h("th", { scope: "row" }, LABELS[key]), h("td", {}, fmt(data.averages[key])), h("td", {}, fmt(data.trends[key], true))))),
        )),
        h("p", {}, `Streak: ${data.streak.current} (longest ${data.streak.longest}).`),
        data.series.length ? trendChart(data.series) : null,
      ];
    }),
  ]);
}

/** What people call each measure; the API's field names are not for reading. */
export const LABELS = { productive: "Productive", satisfied: "Satisfied", body: "Body", care: "Care (worries)", huCaresScore: "HuCares score" };

/** @param {number | null} value @param {boolean} [signed] */
function fmt(value, signed = false) {
  if (value === null || value === undefined) return "—";
  const text = Number(value).toFixed(1);
  return signed && value > 0 ? `+${text}` : text;
}

/** @param {Context} ctx */
async function notificationsPage(ctx) {
  const list = h("div", { id: "notifications" }, loading());
  const load = () => unwrapWithMeta(ctx.sdk.api.GET("/api/v1/notifications", { params: { query: { limit: 50 } } }));
  /** @param {{data: Schemas["Notification"][], meta: Record<string, any>}} result */
  const render = ({ data, meta }) => {
    ctx.app.setUnread(Number(meta.unreadCount ?? data.filter((item) => !item.isRead).length));
    return data.length
      ? h("ul", { class: "notifications" }, data.map((item) =>
          h("li", { class: item.isRead ? "read" : "unread" },
            h("strong", {}, item.title), h("p", {}, item.message), h("span", { class: "muted small" }, formatDateTime(item.createdAt)), " ",
            item.isRead ? null : h("button", { type: "button", onclick: async () => {
              await unwrap(ctx.sdk.api.PUT("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: item.id } } }));
              await refresh();
            } }, "Mark read"),
            h("button", { type: "button", class: "secondary", onclick: async () => {
              await unwrap(ctx.sdk.api.DELETE("/api/v1/notifications/{notification_id}", { params: { path: { notification_id: item.id } } }));
              await refresh();
            } }, "Delete"),
          )))
      : empty("No notifications. You will hear here when friends check in.");
  };
  const refresh = () => section(list, load, render);
  replace(ctx.main, h("h1", {}, "Notifications"), h("p", {}, h("button", { type: "button", onclick: async () => {
    await unwrap(ctx.sdk.api.POST("/api/v1/notifications/read-all"));
    await refresh();
  } }, "Mark all read")), list);
  // New, read or deleted on another device: the list follows.
  for (const event of /** @type {const} */ (["notification", "notification-read", "notifications-read-all", "notification-deleted", "resync"])) {
    ctx.cleanup(ctx.sdk.live.on(event, () => void refresh()));
  }
  await refresh();
}

/** @param {Context} ctx */
async function profilePage(ctx) {
  const { sdk } = ctx;
  let profile;
  try {
    profile = await unwrap(sdk.api.GET("/api/v1/users/profile"));
  } catch (error) {
    replace(ctx.main, errorBox(error));
    return;
  }
  sdk.auth.updateUser(profile);
  const prefs = profile.notificationPreferences ?? {};
  const form = h("form", { id: "profile-form", novalidate: true },
    field("Username", { name: "username", value: profile.username, required: true }),
    field("Email", { name: "email", type: "email", value: profile.email, required: true }),
    field("Time zone (IANA name)", { name: "timezone", value: profile.timezone }),
    h("fieldset", {}, h("legend", {}, "Notify me when"),
      ["friendCheckIn", "groupInvitation", "memberJoined", "weeklyReminder"].map((key) =>
        h("div", { class: "field check" },
          h("input", { type: "checkbox", id: `p-${key}`, name: key, value: "true", checked: /** @type {Record<string, unknown>} */ (prefs)[key] !== false }),
          h("label", { for: `p-${key}` }, { friendCheckIn: "a friend checks in", groupInvitation: "I am invited to a group", memberJoined: "someone joins my group", weeklyReminder: "it is time for my weekly check-in" }[key]),
        ))),
    h("fieldset", { id: "reminders" }, h("legend", {}, "Reminder to check in"),
      h("div", { class: "columns tight" },
        h("div", { class: "field" }, h("label", { for: "f-reminderDay" }, "Day"),
          h("select", { id: "f-reminderDay", name: "reminderDay" }, DAYS.map((day) =>
            h("option", { value: day, selected: prefs.reminderDay === day }, day[0].toUpperCase() + day.slice(1))))),
        h("div", { class: "field" }, h("label", { for: "f-reminderHour" }, "Time (your time zone)"),
          h("select", { id: "f-reminderHour", name: "reminderHour" }, Array.from({ length: 24 }, (_, hour) =>
            h("option", { value: hour, selected: prefs.reminderHour === hour }, `${String(hour).padStart(2, "0")}:00`)))))),
    h("div", { class: "field" }, h("label", { for: "f-scores" }, "Who sees my scores"),
      h("select", { id: "f-scores", name: "scores" },
        h("option", { value: "group", selected: profile.privacySettings?.scores !== "private" }, "Members of my groups"),
        h("option", { value: "private", selected: profile.privacySettings?.scores === "private" }, "Only me"))),
    h("button", { type: "submit" }, "Save profile"),
  );
  onSubmit(form, async (values) => {
    const updated = await unwrap(sdk.api.PATCH("/api/v1/users/profile", { body: {
      username: values.username, email: values.email, timezone: values.timezone,
      notificationPreferences: {
        friendCheckIn: values.friendCheckIn === "true", groupInvitation: values.groupInvitation === "true",
        memberJoined: values.memberJoined === "true", weeklyReminder: values.weeklyReminder === "true",
        reminderDay: /** @type {Schemas["ReminderDayEnum"]} */ (values.reminderDay), reminderHour: Number(values.reminderHour),
      },
      privacySettings: { scores: values.scores === "private" ? "private" : "group" },
    } }));
    sdk.auth.updateUser(updated);
    dirty = false;
    ctx.flash("Profile saved.");
  });
  // Saved on another device: an untouched form shows the new values; one being
  // edited keeps the user's typing and says the profile changed.
  let dirty = false;
  form.addEventListener("input", () => {
    dirty = true;
  });
  const changedElsewhere = h("p", { class: "notice", id: "profile-changed", role: "status", hidden: true }, "Your profile was changed on another device. Saving this form replaces those changes.");
  form.prepend(changedElsewhere);
  ctx.cleanup(sdk.live.on("profile-updated", async () => {
    const fresh = await unwrap(sdk.api.GET("/api/v1/users/profile"));
    sdk.auth.updateUser(fresh);
    if (dirty) {
      changedElsewhere.hidden = false;
      return;
    }
    fillProfile(form, fresh);
  }));
  const password = h("form", { id: "password-form", novalidate: true },
    field("Current password", { name: "currentPassword", type: "password", autocomplete: "current-password", required: true }),
    field("New password", { name: "newPassword", type: "password", autocomplete: "new-password", required: true }),
    h("button", { type: "submit" }, "Change password"));
  onSubmit(password, async (values) => {
    await unwrap(sdk.api.POST("/api/v1/auth/change-password", { body: { currentPassword: values.currentPassword, newPassword: values.newPassword } }));
    sdk.auth.signOut("Password changed: every session was signed out. Sign in with the new password.");
  });
  const remove = h("form", { id: "delete-form", novalidate: true },
    h("p", {}, "This deletes your check-ins, memberships and notifications for good."),
    field("Your password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit", class: "danger" }, "Delete my account"));
  onSubmit(remove, async (values) => {
    if (!confirm("Delete your HuCares account and all its data? This cannot be undone.")) return;
    // The schema does not describe this body, so the request is built by hand.
    const response = await sdk.fetch(new Request(`${location.origin}/api/v1/users/account`, {
      method: "DELETE", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ password: values.password }),
    }));
    if (!response.ok) throw errorFromResponse(response, await response.json().catch(() => null));
    sdk.auth.signOut("Your account was deleted.");
  });
  const downloads = h("p", { class: "downloads" });
  for (const format of /** @type {const} */ (["csv", "json"])) {
    downloads.append(h("button", { type: "button", onclick: () => download(ctx, format, downloads) }, `Download my check-ins (${format.toUpperCase()})`), " ");
  }
  replace(ctx.main, h("h1", {}, "Profile"),
    profile.emailVerified ? null : h("p", { class: "notice" }, "Your email is not verified yet. ", h("button", { type: "button", onclick: async () => {
      await unwrap(sdk.api.POST("/api/v1/auth/resend-verification"));
      ctx.flash("A new verification link is on its way.");
    } }, "Send the link again")),
    h("section", { class: "card" }, h("h2", {}, "You"), form),
    avatarSection(ctx, profile),
    h("section", { class: "card" }, h("h2", {}, "Your data"), downloads, h("p", {}, h("a", { href: "/import" }, "Import from the old HuCares app")), h("p", {}, h("a", { href: "/sessions" }, "Devices signed in"))),
    h("section", { class: "card" }, h("h2", {}, "Password"), password),
    h("section", { class: "card" }, h("button", { type: "button", id: "logout", onclick: () => sdk.logout() }, "Sign out")),
    h("section", { class: "card danger-zone" }, h("h2", {}, "Delete account"), remove),
  );
}

/** @param {HTMLFormElement} form @param {Schemas["UserProfile"]} profile */
function fillProfile(form, profile) {
  /** @param {string} name */
  const input = (name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
  input("username").value = profile.username;
  input("email").value = profile.email;
  input("timezone").value = profile.timezone;
  const prefs = /** @type {Record<string, unknown>} */ (profile.notificationPreferences ?? {});
  for (const key of NOTIFY_KEYS) input(key).checked = prefs[key] !== false;
  input("scores").value = profile.privacySettings?.scores === "private" ? "private" : "group";
  if (profile.notificationPreferences?.reminderDay) input("reminderDay").value = profile.notificationPreferences.reminderDay;
  if (profile.notificationPreferences?.reminderHour !== undefined) input("reminderHour").value = String(profile.notificationPreferences.reminderHour);
}

const DAYS = /** @type {const} */ (["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]);

/**
 * Avatar: the picked image is shown as the server will keep it (the centre
 * square), then uploaded as multipart form data.
 * @param {Context} ctx @param {Schemas["UserProfile"]} profile
 */
function avatarSection(ctx, profile) {
  const current = h("img", { id: "avatar", class: "avatar large", alt: "Your avatar", src: profile.avatarUrl ?? "", hidden: !profile.avatarUrl });
  const preview = h("canvas", { id: "avatar-preview", class: "avatar large", width: 256, height: 256, hidden: true, "aria-label": "Preview of the new avatar" });
  const file = h("input", { type: "file", id: "f-avatar", name: "avatar", accept: "image/png,image/jpeg,image/webp" });
  const upload = h("button", { type: "submit", disabled: true }, "Upload avatar");
  const form = h("form", { id: "avatar-form", novalidate: true },
    h("div", { class: "avatar-row" }, current, preview),
    h("div", { class: "field" }, h("label", { for: "f-avatar" }, "Pick a picture (PNG, JPEG or WebP, up to 2 MB)"), file),
    h("p", { class: "muted small" }, "The middle square is kept, as the preview shows."),
    upload);
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    upload.disabled = !chosen;
    if (!chosen) return;
    const bitmap = await createImageBitmap(chosen);
    const side = Math.min(bitmap.width, bitmap.height);
    const context = /** @type {CanvasRenderingContext2D} */ (preview.getContext("2d"));
    context.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, 256, 256);
    preview.hidden = false;
  });
  onSubmit(form, async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    const body = new FormData();
    body.append("avatar", chosen);
    const response = await ctx.sdk.fetch(new Request(`${location.origin}/api/v1/users/avatar`, { method: "POST", body }));
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw errorFromResponse(response, answer);
    const { avatarUrl } = /** @type {Schemas["AvatarResult"]} */ (answer.data);
    current.src = avatarUrl;
    current.hidden = false;
    preview.hidden = true;
    file.value = "";
    ctx.flash("Avatar saved.");
  });
  return h("section", { class: "card" }, h("h2", {}, "Avatar"), form);
}

const NOTIFY_KEYS = /** @type {const} */ (["friendCheckIn", "groupInvitation", "memberJoined", "weeklyReminder"]);

/** @param {Context} ctx @param {"csv" | "json"} format @param {HTMLElement} target */
async function download(ctx, format, target) {
  const response = await ctx.sdk.fetch(new Request(`${location.origin}/api/v1/checkins/export?format=${format}`));
  if (!response.ok) {
    target.append(errorBox(errorFromResponse(response, await response.json().catch(() => null))));
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: `hucares-checkins.${format}` }, `hucares-checkins.${format}`);
  target.append(link);
  link.click();
}

/** @param {Context} ctx */
async function sessionsPage(ctx) {
  const list = h("div", { id: "sessions" }, loading());
  replace(ctx.main, h("h1", {}, "Devices signed in"), list);
  const load = async () => {
    const response = await ctx.sdk.fetch(new Request(`${location.origin}/api/v1/auth/sessions`));
    const body = await response.json().catch(() => null);
    if (response.status === 404) return null;
    if (!response.ok) throw errorFromResponse(response, body);
    return /** @type {{id: string, userAgent?: string, ipAddress?: string | null, createdAt?: string, lastUsedAt?: string, current?: boolean}[]} */ (body.data);
  };
  const refresh = () => section(list, load, (sessions) =>
    sessions === null
      ? empty("This server does not list sessions yet. Signing out from your profile ends this one.")
      : h("ul", { class: "sessions" }, sessions.map((item) => h("li", {},
          h("strong", { title: item.userAgent ?? "" }, deviceName(item.userAgent)), item.current ? " (this device)" : "",
          h("span", { class: "muted" }, ` · ${item.ipAddress ?? "unknown address"} · last used ${formatDateTime(item.lastUsedAt ?? item.createdAt)}`), " ",
          item.current ? null : h("button", { type: "button", onclick: async () => {
            const response = await ctx.sdk.fetch(new Request(`${location.origin}/api/v1/auth/sessions/${item.id}`, { method: "DELETE" }));
            if (!response.ok) throw errorFromResponse(response, await response.json().catch(() => null));
            await refresh();
          } }, "Sign out this device")))));
  await refresh();
}

/** @param {Context} ctx */
function importPage(ctx) {
  const { sdk } = ctx;
  const report = h("div", { id: "import-report", "aria-live": "polite" });
  const old = readOldKeys(localStorage);
  /** @type {Record<string, unknown> | null} */
  let payload = old;
  const source = h("p", { id: "import-source" });
  const describe = () => {
    source.textContent = payload
      ? `Found ${countCheckIns(payload)} check-ins from the old app${payload === old ? " in this browser" : " in the file"}.`
      : "No data of the old app in this browser. Pick the file its Export button saved.";
  };
  const file = h("input", { type: "file", id: "f-file", accept: "application/json,.json" });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    try {
      payload = parseExportFile(await chosen.text());
      describe();
      replace(report);
    } catch (error) {
      replace(report, errorBox(error));
    }
  });
  const lastImport = localStorage.getItem(LAST_IMPORT_KEY);
  /** @param {boolean} dryRun */
  const run = async (dryRun) => {
    if (!payload) return;
    replace(report, loading(dryRun ? "Checking…" : "Importing…"));
    try {
      const result = await unwrap(sdk.api.POST("/api/v1/migration/localstorage", { params: { query: { dryRun } }, body: payload }));
      if (!dryRun && result.importId) localStorage.setItem(LAST_IMPORT_KEY, result.importId);
      replace(report, renderReport(result), dryRun ? h("button", { type: "button", id: "import-confirm", onclick: () => run(false) }, "Import now") : rollbackButton(ctx, report, result.importId));
    } catch (error) {
      replace(report, errorBox(error));
    }
  };
  describe();
  replace(ctx.main, h("h1", {}, "Import from the old app"),
    h("section", { class: "card" }, source,
      h("div", { class: "field" }, h("label", { for: "f-file" }, "Or pick an export file"), file),
      h("button", { type: "button", id: "import-dry-run", onclick: () => run(true) }, "Check what would be imported"),
      report),
    lastImport ? h("section", { class: "card" }, h("h2", {}, "Last import"), rollbackButton(ctx, report, lastImport)) : null,
    old ? h("section", { class: "card" }, h("h2", {}, "Old app data in this browser"),
      h("p", {}, "It stays here until you remove it, so nothing is lost if an import goes wrong."),
      h("button", { type: "button", id: "forget-old", class: "secondary", onclick: () => {
        if (!confirm("Remove the old app's data from this browser? Imported check-ins stay in HuCares.")) return;
        forgetOldKeys(localStorage);
        ctx.flash("The old app's data was removed from this browser.");
        ctx.navigate("/import");
      } }, "Remove the old data from this browser")) : null,
  );
}

/** @param {Schemas["ImportReport"]} result */
function renderReport(result) {
  return h("div", { class: "report" },
    h("h2", {}, result.dryRun ? "Dry run: nothing was saved" : "Imported"),
    h("ul", {},
      h("li", {}, `Check-ins ${result.dryRun ? "to import" : "imported"}: `, h("strong", { id: "imported-count" }, String(result.checkInsImported))),
      h("li", {}, `Groups ${result.dryRun ? "to create" : "created"}: ${result.groupsCreated}; matched: ${result.groupsMatched}`),
      h("li", {}, `Skipped: ${result.checkInsSkipped.length}`)),
    result.checkInsSkipped.length ? h("ul", { class: "muted" }, result.checkInsSkipped.map((skip) => h("li", {}, `#${skip.index}: ${skip.reason}`))) : null,
    result.warnings.length ? h("ul", { class: "muted" }, result.warnings.map((warning) => h("li", {}, JSON.stringify(warning)))) : null,
  );
}

/** @param {Context} ctx @param {HTMLElement} report @param {string | null} importId */
function rollbackButton(ctx, report, importId) {
  if (!importId) return null;
  return h("button", { type: "button", id: "import-rollback", class: "secondary", onclick: async () => {
    try {
      const result = await unwrap(ctx.sdk.api.POST("/api/v1/migration/{import_id}/rollback", { params: { path: { import_id: importId } } }));
      localStorage.removeItem(LAST_IMPORT_KEY);
      replace(report, h("p", { role: "status", id: "rollback-done" }, `Rolled back: ${result.checkInsRemoved} check-ins and ${result.groupsRemoved} groups removed.`));
    } catch (error) {
      report.append(errorBox(error));
    }
  } }, "Undo this import");
}

/** @type {import("./main.js").Route[]} */
export const meRoutes = [
  { path: /^\/history$/, view: historyPage, title: "History" },
  { path: /^\/analytics$/, view: analyticsPage, title: "Insights" },
  { path: /^\/notifications$/, view: notificationsPage, title: "Notifications" },
  { path: /^\/profile$/, view: profilePage, title: "Profile" },
  { path: /^\/sessions$/, view: sessionsPage, title: "Devices" },
  { path: /^\/import$/, view: importPage, title: "Import" },
];
