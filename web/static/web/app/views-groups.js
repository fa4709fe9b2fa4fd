// @ts-check
import { ApiError } from "../sdk/errors.js";
import { unwrap } from "../sdk/http.js";
import { formatDate, formatDateTime, h, replace } from "./dom.js";
import { empty, errorBox, field, loading, onSubmit, section } from "./ui.js";

/** @typedef {import("./main.js").Context} Context */
/** @typedef {import("../../../types/api").components["schemas"]} Schemas */

export const DIMENSIONS = /** @type {const} */ (["productive", "satisfied", "body", "care"]);
export const DIMENSION_LABELS = { productive: "Productive", satisfied: "Satisfied", body: "Body", care: "Care (worries)" };
const ROLE_WORDS = /** @type {Record<string, string>} */ ({ admin: "admin", moderator: "moderator", member: "member" });
const FREQUENCY_WORDS = /** @type {Record<string, string>} */ ({ daily: "daily", weekly: "weekly", biweekly: "every two weeks" });

/** @param {Context} ctx */
async function home(ctx) {
  const list = h("div", { id: "groups" });
  const create = h(
    "form",
    { id: "create-group", novalidate: true },
    field("Group name", { name: "name", required: true, maxlength: 100 }),
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-frequency" }, "Check in"),
      h(
        "select",
        { id: "f-frequency", name: "checkInFrequency" },
        h("option", { value: "weekly" }, "Weekly"),
        h("option", { value: "daily" }, "Daily"),
        h("option", { value: "biweekly" }, "Every two weeks"),
      ),
    ),
    h("button", { type: "submit" }, "Create group"),
  );
  onSubmit(create, async (values) => {
    const frequency = /** @type {Schemas["CheckInFrequencyEnum"]} */ (values.checkInFrequency);
    const group = await unwrap(ctx.sdk.api.POST("/api/v1/groups", { body: { name: values.name, checkInFrequency: frequency } }));
    ctx.navigate(`/groups/${group.id}`);
  });
  const join = h(
    "form",
    { id: "join-group", novalidate: true },
    field("Access code", { name: "accessCode", required: true, autocomplete: "off", autocapitalize: "characters", maxlength: 8 }),
    h("button", { type: "submit" }, "Join group"),
  );
  onSubmit(join, async (values) => {
    const group = await unwrap(ctx.sdk.api.POST("/api/v1/groups/join", { body: { accessCode: values.accessCode.trim() } }));
    ctx.navigate(`/groups/${group.id}`);
  });
  replace(
    ctx.main,
    h("h1", {}, "Your groups"),
    list,
    h("div", { class: "columns" }, h("section", { class: "card" }, h("h2", {}, "Start a group"), create), h("section", { class: "card" }, h("h2", {}, "Join with a code"), join)),
  );
  const load = () => unwrap(ctx.sdk.api.GET("/api/v1/checkins/current"));
  /** @param {Schemas["CurrentPeriod"][]} periods */
  const renderPeriods = (periods) =>
    periods.length
      ? h(
          "ul",
          { class: "group-list" },
          periods.map((period) =>
            h(
              "li",
              { class: "card" },
              h("a", { href: `/groups/${period.groupId}`, class: "group-name" }, period.groupName),
              h("span", { class: "muted" }, ` · period from ${formatDate(period.periodStart)}`),
              period.checkIn
                ? h("p", {}, "You checked in: HuCares score ", h("strong", {}, String(period.checkIn.huCaresScore)), " ",
                    h("a", { href: `/checkin?group=${period.groupId}`, class: "button secondary" }, "Edit"))
                : h("p", {}, h("a", { href: `/checkin?group=${period.groupId}`, class: "button" }, "Check in now")),
            ),
          ),
        )
      : h("section", { class: "card welcome", id: "first-run" },
          h("h2", {}, "Welcome to HuCares"),
          h("ol", {},
            h("li", {}, "Start a group below, or join a friend's with the access code they sent you."),
            h("li", {}, "Check in once a period: four scores and a note, shared with your group."),
            h("li", {}, "Used the old HuCares app? ", h("a", { href: "/import" }, "Bring your old check-ins along"), ".")));
  const refresh = () => section(list, load, renderPeriods);
  await refresh();
  ctx.cleanup(ctx.sdk.live.on("resync", () => void refresh()));
  for (const event of /** @type {const} */ (["checkin-created", "checkin-updated", "checkin-deleted"])) {
    ctx.cleanup(ctx.sdk.live.on(event, () => void refresh()));
  }
}

/** @param {Context} ctx */
async function groupPage(ctx) {
  const groupId = ctx.params.id;
  const { sdk } = ctx;
  /** @type {Schemas["Group"]} */
  let group;
  try {
    group = await unwrap(sdk.api.GET("/api/v1/groups/{group_id}", { params: { path: { group_id: groupId } } }));
  } catch (error) {
    replace(ctx.main, errorBox(error), h("a", { href: "/" }, "Back to your groups"));
    return;
  }
  const members = h("ul", { class: "members", id: "members", "aria-live": "polite" }, h("li", {}, loading()));
  const summary = h("p", { class: "muted", id: "group-summary" });
  /** @param {Schemas["Group"]} shown */
  const renderSummary = (shown) =>
    replace(
      summary,
      h("span", { id: "member-count" }, `${shown.memberCount} member${shown.memberCount === 1 ? "" : "s"}`),
      ` · checks in ${FREQUENCY_WORDS[shown.checkInFrequency] ?? shown.checkInFrequency}`,
      shown.accessCode ? [" · access code ", h("code", { id: "access-code" }, shown.accessCode)] : null,
    );
  renderSummary(group);
  // Joins, leaves and settings change on other devices: the count and the settings follow.
  const reloadGroup = async () => {
    group = await unwrap(sdk.api.GET("/api/v1/groups/{group_id}", { params: { path: { group_id: groupId } } }));
    renderSummary(group);
  };
  const checkins = h("div", { id: "group-checkins", "aria-live": "polite" }, loading());
  /** @type {Set<string>} */
  const online = new Set();
  /** @type {Schemas["Member"][]} */
  let memberList = [];

  const renderMembers = () =>
    replace(
      members,
      memberList.map((member) =>
        h(
          "li",
          { "data-user": member.user.id, class: online.has(member.user.id) ? "online" : "offline" },
          h("span", { class: "dot", "aria-hidden": "true" }),
          member.user.avatarUrl ? h("img", { class: "avatar", src: member.user.avatarUrl, alt: "" }) : null,
          member.user.username,
          h("span", { class: "muted" }, ` · ${ROLE_WORDS[member.role] ?? member.role}${online.has(member.user.id) ? " · online" : ""}`),
        ),
      ),
    );
  const loadMembers = async () => {
    memberList = await unwrap(sdk.api.GET("/api/v1/groups/{group_id}/members", { params: { path: { group_id: groupId } } }));
    for (const member of memberList) if (member.isOnline) online.add(member.user.id);
    renderMembers();
  };
  const loadCheckins = () =>
    section(
      checkins,
      () => unwrap(sdk.api.GET("/api/v1/checkins/group/{group_id}", { params: { path: { group_id: groupId } } })),
      (list) =>
        list.length
          ? h("ul", { class: "checkins" }, list.map((checkIn) => checkInRow(checkIn)))
          : empty("Nobody has checked in for this period yet.", h("a", { href: `/checkin?group=${groupId}`, class: "button" }, "Be the first")),
    );

  replace(
    ctx.main,
    h("h1", {}, group.name),
    group.description ? h("p", {}, group.description) : null,
    summary,
    h("p", {}, h("a", { href: `/checkin?group=${groupId}`, class: "button" }, "Check in")),
    h("div", { class: "columns" },
      h("section", { class: "card" }, h("h2", {}, "This period's check-ins"), checkins),
      h("section", { class: "card" }, h("h2", {}, "Members"), members),
    ),
    h("div", { class: "columns" },
      h("section", { class: "card", id: "group-analytics" }, loading()),
      h("section", { class: "card", id: "comparison" }, loading()),
    ),
    inviteSection(ctx, groupId),
    h("p", {}, h("button", { type: "button", class: "secondary", id: "leave-group", onclick: async () => {
      if (!confirm(`Leave ${group.name}?`)) return;
      await unwrap(sdk.api.POST("/api/v1/groups/{group_id}/leave", { params: { path: { group_id: groupId } } }));
      ctx.navigate("/");
    } }, "Leave group")),
  );

  sdk.live.joinGroup(groupId);
  ctx.cleanup(() => sdk.live.leaveGroup(groupId));
  ctx.cleanup(sdk.live.on("group-joined", (data) => {
    if (data.groupId !== groupId) return;
    for (const id of data.onlineUserIds) online.add(id);
    renderMembers();
  }));
  ctx.cleanup(sdk.live.on("user-online", (data) => {
    online.add(data.userId);
    renderMembers();
  }));
  ctx.cleanup(sdk.live.on("user-offline", (data) => {
    online.delete(data.userId);
    renderMembers();
  }));
  /** @param {{groupId: string}} data */
  const reloadIfHere = (data) => {
    if (data.groupId === groupId) void loadCheckins();
  };
  // Friends' check-ins, and this user's own from another device.
  for (const event of /** @type {const} */ (["friend-checked-in", "friend-checkin-deleted", "checkin-created", "checkin-updated", "checkin-deleted"])) {
    ctx.cleanup(sdk.live.on(event, reloadIfHere));
  }
  ctx.cleanup(sdk.live.on("group-updated", (data) => {
    if (data.groupId !== groupId) return;
    if (data.type === "group-deleted") ctx.navigate("/");
    else void Promise.all([loadMembers(), reloadGroup()]).catch(() => undefined);
  }));
  ctx.cleanup(sdk.live.on("resync", () => {
    void loadCheckins();
    void Promise.all([loadMembers(), reloadGroup()]).catch(() => undefined);
  }));
  ctx.cleanup(sdk.queue.onChange(() => void loadCheckins()));
  await Promise.all([
    loadMembers().catch((error) => replace(members, h("li", {}, errorBox(error)))),
    loadCheckins(),
    groupAnalytics(ctx, groupId),
  ]);
}

/** @param {number | null | undefined} value */
function one(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1);
}

/** The group's last periods and the user against the group. @param {Context} ctx @param {string} groupId */
async function groupAnalytics(ctx, groupId) {
  const { sdk } = ctx;
  const analytics = /** @type {HTMLElement} */ (ctx.main.querySelector("#group-analytics"));
  const comparison = /** @type {HTMLElement} */ (ctx.main.querySelector("#comparison"));
  await Promise.all([
    section(analytics, () => unwrap(sdk.api.GET("/api/v1/analytics/group/{group_id}", { params: { path: { group_id: groupId }, query: { weeks: 8 } } })), (data) => [
      h("h2", {}, "How the group is doing"),
      h("p", {}, `${data.overall.totalCheckIns} check-in${data.overall.totalCheckIns === 1 ? "" : "s"} · average HuCares score ${one(data.overall.averages.huCaresScore)} · `,
        `${data.overall.averageParticipationRate === null ? "—" : Math.round(data.overall.averageParticipationRate * 100)} % take part`),
      data.periods.length
        ? h("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "The group's periods" }, h("table", { class: "periods" },
            h("thead", {}, h("tr", {}, ["Period", "Checked in", "Average HuCares score"].map((label) => h("th", { scope: "col" }, label)))),
            h("tbody", {}, [...data.periods].reverse().map((period) => h("tr", {},
              h("td", {}, formatDate(period.weekStartDate)), h("td", {}, `${period.checkInCount} of ${period.memberCount}`),
              h("td", {}, one(period.averages.huCaresScore)))))))
        : empty("The group's periods appear after its first check-ins."),
    ]),
    section(comparison, () => unwrap(sdk.api.GET("/api/v1/analytics/comparison", { params: { query: { groupId, weeks: 12 } } })), (data) => [
      h("h2", {}, "You and the group"),
      h("p", { class: "muted" }, `Last 12 weeks: your check-ins ${data.myCheckIns}, the group's ${data.groupCheckIns}.`),
      h("div", { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "You and the group" }, h("table", { class: "compare" },
        h("thead", {}, h("tr", {}, h("td", {}), ["You", "Group", "Difference"].map((label) => h("th", { scope: "col" }, label)))),
        h("tbody", {}, data.dimensions.map((item) => h("tr", { "data-dimension": item.dimension },
          h("th", { scope: "row" }, MEASURE_LABELS[item.dimension] ?? item.dimension),
          h("td", {}, one(item.mine)), h("td", {}, one(item.group)),
          h("td", {}, item.difference === null ? "—" : `${item.difference > 0 ? "+" : ""}${one(item.difference)}`)))))),
    ]),
  ]);
}

const MEASURE_LABELS = /** @type {Record<string, string>} */ ({ ...DIMENSION_LABELS, huCaresScore: "HuCares score" });

/**
 * Invite by username (names are suggested as the user types) or by email.
 * @param {Context} ctx @param {string} groupId
 */
function inviteSection(ctx, groupId) {
  const { sdk } = ctx;
  const suggestions = h("datalist", { id: "user-suggestions" });
  const who = h("input", { id: "f-invitee", name: "invitee", list: "user-suggestions", autocomplete: "off", required: true, maxlength: 255 });
  const result = h("div", { id: "invite-result", role: "status" });
  let latest = "";
  who.addEventListener("input", async () => {
    const query = who.value.trim();
    latest = query;
    if (query.length < 2 || query.includes("@")) return replace(suggestions);
    try {
      const users = await unwrap(sdk.api.GET("/api/v1/users/search", { params: { query: { q: query } } }));
      // An older answer arriving late must not replace a newer one.
      if (latest === query) replace(suggestions, users.map((user) => h("option", { value: user.username })));
    } catch {
      // Suggestions are a help: typing the whole name still works.
    }
  });
  const form = h("form", { id: "invite-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "f-invitee" }, "Username or email"), who, suggestions),
    h("button", { type: "submit" }, "Send invitation"));
  onSubmit(form, async (values) => {
    const invitee = values.invitee.trim();
    const body = invitee.includes("@") ? { email: invitee } : { username: invitee };
    const answer = await unwrap(sdk.api.POST("/api/v1/groups/{group_id}/invite", { params: { path: { group_id: groupId } }, body }));
    replace(result, h("p", { class: "notice" }, `Invitation sent to ${answer.invitee?.username ?? answer.email ?? invitee}.`));
    who.value = "";
  });
  return h("section", { class: "card" }, h("h2", {}, "Invite someone"), form, result);
}

/** @param {Schemas["CheckIn"]} checkIn */
function checkInRow(checkIn) {
  const hidden = checkIn.huCaresScore === null;
  return h(
    "li",
    { class: "checkin", "data-checkin": checkIn.id },
    h("strong", {}, checkIn.username),
    checkIn.moodEmoji ? ` ${checkIn.moodEmoji}` : "",
    hidden
      ? h("span", { class: "muted hidden-scores" }, " checked in (scores private)")
      : h(
          "span",
          {},
          " · score ",
          h("strong", { class: "score" }, String(checkIn.huCaresScore)),
          h("span", { class: "muted" }, ` (productive ${checkIn.productive} · satisfied ${checkIn.satisfied} · body ${checkIn.body} · care ${checkIn.care})`),
        ),
    checkIn.reflectionNote ? h("p", { class: "note" }, checkIn.reflectionNote) : null,
    h("span", { class: "muted small" }, ` ${formatDateTime(checkIn.submittedAt)}`),
  );
}

/** @param {Record<string, number>} scores */
export function huCaresScore(scores) {
  return scores.productive + scores.satisfied + scores.body - scores.care;
}

/** @param {Context} ctx */
async function checkInPage(ctx) {
  const { sdk } = ctx;
  const queued = h("div", { id: "queue", "aria-live": "polite" });
  /** @type {Schemas["CurrentPeriod"][]} */
  let periods;
  try {
    periods = await unwrap(sdk.api.GET("/api/v1/checkins/current"));
  } catch (error) {
    replace(ctx.main, h("h1", {}, "Check in"), errorBox(error), queued);
    await renderQueue(ctx, queued);
    return;
  }
  if (!periods.length) {
    replace(ctx.main, h("h1", {}, "Check in"), empty("Join or start a group first: check-ins are shared with a group.", h("a", { href: "/", class: "button" }, "Your groups")));
    return;
  }
  const wanted = ctx.query.get("group") ?? periods.find((period) => !period.checkIn)?.groupId ?? periods[0].groupId;
  const heading = h("h1", {}, "Check in");
  const score = h("output", { id: "score", for: DIMENSIONS.map((name) => `f-${name}`).join(" ") }, "—");
  const sliders = DIMENSIONS.map((name) =>
    h(
      "div",
      { class: "field range" },
      h("label", { for: `f-${name}` }, h("span", {}, DIMENSION_LABELS[name]), h("output", { id: `v-${name}`, class: "range-value", for: `f-${name}` }, "5")),
      h("input", { id: `f-${name}`, name, type: "range", min: 1, max: 10, value: 5, required: true }),
      h("span", { class: "range-ends", "aria-hidden": "true" }, h("span", {}, "1"), h("span", {}, "10")),
    ),
  );
  const groupSelect = h("select", { id: "f-groupId", name: "groupId" });
  const submit = h("button", { type: "submit" }, "Submit check-in");
  const editing = h("p", { id: "editing", class: "notice", hidden: true }, "You already checked in to this group for this period: change it here.");
  const form = h(
    "form",
    { id: "checkin-form", novalidate: true },
    h("div", { class: "field" }, h("label", { for: "f-groupId" }, "Group"), groupSelect),
    editing,
    sliders,
    h("p", { class: "score-line" }, "Your HuCares score: ", score, h("span", { class: "muted small score-formula" }, "productive + satisfied + body − care")),
    h("div", { class: "field" }, h("label", { for: "f-reflectionNote" }, "Note (optional)"), h("textarea", { id: "f-reflectionNote", name: "reflectionNote", rows: 3 })),
    field("Mood emoji (optional)", { name: "moodEmoji", maxlength: 10 }),
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-energyLevel" }, "Energy (optional)"),
      h("select", { id: "f-energyLevel", name: "energyLevel" }, h("option", { value: "" }, "—"), [1, 2, 3, 4, 5].map((n) => h("option", { value: n }, String(n)))),
    ),
    h("div", { class: "field check" }, h("input", { id: "f-isPrivate", name: "isPrivate", type: "checkbox", value: "true" }), h("label", { for: "f-isPrivate" }, "Private: group members see that I checked in, not my scores")),
    submit,
  );
  /** @param {string} name */
  const input = (name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
  const update = () => {
    /** @type {Record<string, number>} */
    const values = {};
    for (const name of DIMENSIONS) {
      values[name] = Number(input(name).value);
      const shown = form.querySelector(`#v-${name}`);
      if (shown) shown.textContent = input(name).value;
    }
    score.textContent = String(huCaresScore(values));
  };
  /** The check-in already made for the chosen group this period, if any. */
  const existing = () => periods.find((period) => period.groupId === groupSelect.value)?.checkIn ?? null;
  // A group done this period opens its check-in for editing: submitting it again could only be refused.
  const showPeriod = () => {
    const current = existing();
    for (const name of DIMENSIONS) input(name).value = String(current?.[name] ?? 5);
    input("reflectionNote").value = current?.reflectionNote ?? "";
    input("moodEmoji").value = current?.moodEmoji ?? "";
    input("energyLevel").value = current?.energyLevel ? String(current.energyLevel) : "";
    input("isPrivate").checked = current?.isPrivate ?? false;
    heading.textContent = current ? "Edit your check-in" : "Check in";
    submit.textContent = current ? "Save changes" : "Submit check-in";
    editing.hidden = !current;
    update();
  };
  const fillGroups = () =>
    replace(groupSelect, periods.map((period) =>
      h("option", { value: period.groupId, selected: period.groupId === (groupSelect.value || wanted) }, period.groupName, period.checkIn ? " (done: edit)" : ""),
    ));
  fillGroups();
  groupSelect.addEventListener("change", showPeriod);
  form.addEventListener("input", update);
  showPeriod();
  const status = onSubmit(form, async (values) => {
    const scores = {
      productive: Number(values.productive),
      satisfied: Number(values.satisfied),
      body: Number(values.body),
      care: Number(values.care),
    };
    const current = existing();
    if (current) {
      await unwrap(sdk.api.PATCH("/api/v1/checkins/{check_in_id}", { params: { path: { check_in_id: current.id } }, body: {
        ...scores,
        reflectionNote: values.reflectionNote || null,
        moodEmoji: values.moodEmoji || null,
        energyLevel: values.energyLevel ? Number(values.energyLevel) : null,
        isPrivate: values.isPrivate === "true",
      } }));
      ctx.flash("Check-in updated. Your group sees the change now.");
      ctx.navigate(`/groups/${values.groupId}`);
      return;
    }
    /** @type {Schemas["CheckInSubmitRequest"]} */
    const body = { groupId: values.groupId, ...scores, isPrivate: values.isPrivate === "true" };
    if (values.reflectionNote) body.reflectionNote = values.reflectionNote;
    if (values.moodEmoji) body.moodEmoji = values.moodEmoji;
    if (values.energyLevel) body.energyLevel = Number(values.energyLevel);
    const result = await sdk.checkIn(body);
    if (result.sent) {
      ctx.flash("Check-in saved. Your group sees it now.");
      ctx.navigate(`/groups/${body.groupId}`);
    } else if (result.queued?.status === "conflict") {
      // Refused while the user is here: the answer belongs at the form, once,
      // not also in the list of check-ins waiting on this device.
      await sdk.queue.dismiss(result.queued.key);
      const refused = result.queued.error;
      if (refused?.code === "DUPLICATE_CHECKIN") {
        periods = await unwrap(sdk.api.GET("/api/v1/checkins/current"));
        fillGroups();
        showPeriod();
      }
      throw new ApiError({ status: 400, code: refused?.code ?? "VALIDATION_ERROR", message: refused?.message ?? "This check-in could not be saved.", details: refused?.details });
    } else {
      replace(status, h("p", { role: "status", class: "pending" }, "You are offline: the check-in is saved on this device and will be sent when you are back online."));
    }
  });
  replace(ctx.main, heading, h("section", { class: "card" }, form), queued);
  // A check-in made or deleted on another device turns this form into an edit, or back.
  const followOtherDevices = async () => {
    const before = existing()?.id ?? null;
    periods = await unwrap(sdk.api.GET("/api/v1/checkins/current"));
    fillGroups();
    if ((existing()?.id ?? null) !== before) showPeriod();
  };
  for (const event of /** @type {const} */ (["checkin-created", "checkin-deleted", "resync"])) {
    ctx.cleanup(sdk.live.on(event, () => void followOtherDevices().catch(() => undefined)));
  }
  await renderQueue(ctx, queued);
  ctx.cleanup(sdk.queue.onChange(() => void renderQueue(ctx, queued)));
}

/** @param {Context} ctx @param {HTMLElement} target */
async function renderQueue(ctx, target) {
  const items = await ctx.sdk.queue.list();
  if (!items.length) return replace(target);
  replace(
    target,
    h("h2", {}, "Waiting on this device"),
    h(
      "ul",
      { class: "queue" },
      items.map((item) =>
        h(
          "li",
          { class: `queued ${item.status}`, "data-key": item.key },
          `${formatDateTime(item.createdAt)}: score ${huCaresScore(/** @type {any} */ (item.body))} — `,
          item.status === "pending"
            ? h("span", { class: "pending" }, "pending, sent when online")
            : h("span", { class: "conflict" }, `not saved: ${item.error?.message ?? ""}`, " ",
                h("button", { type: "button", onclick: () => ctx.sdk.queue.dismiss(item.key) }, "Dismiss")),
        ),
      ),
    ),
  );
}

/** @type {import("./main.js").Route[]} */
export const groupRoutes = [
  { path: /^\/$/, view: home, title: "Groups" },
  { path: /^\/groups\/join$/, view: home, title: "Join a group" },
  { path: /^\/groups\/(?<id>[0-9a-f-]{36})$/, view: groupPage, title: "Group" },
  { path: /^\/checkin$/, view: checkInPage, title: "Check in" },
];
