// The user journey of journey.py, written with openapi-fetch over the types that
// openapi-typescript generates from the served schema (build/api.d.ts). It is
// type-checked with `tsc --strict` (make clients), not run: a wrong path, body,
// parameter or response field is a compile error.
import createClient from "openapi-fetch";
import type { components, paths } from "./build/api";

type Schemas = components["schemas"];

function must<T>(step: string, data: T | undefined, error: Schemas["ErrorEnvelope"] | undefined): T {
  if (data === undefined) {
    throw new Error(`${step}: ${error?.error.code ?? "no body"}`);
  }
  return data;
}

export async function journey(baseUrl: string): Promise<void> {
  const anonymous = createClient<paths>({ baseUrl });
  const password = "Journey-horse-42";
  const registered = await anonymous.POST("/api/v1/auth/register", {
    body: { username: "ts_ada", email: "ts_ada@example.com", password },
  });
  must("register", registered.data, registered.error);
  const login = await anonymous.POST("/api/v1/auth/login", { body: { email: "ts_ada@example.com", password } });
  const session: Schemas["AuthResult"] = must("login", login.data, login.error).data;
  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${session.accessToken}` } });

  const profile = await api.GET("/api/v1/users/profile");
  const me: Schemas["UserProfile"] = must("profile", profile.data, profile.error).data;
  await api.PATCH("/api/v1/users/profile", { body: { timezone: "Europe/Berlin" } });

  const created = await api.POST("/api/v1/groups", { body: { name: "TS climbers", maxMembers: 5 } });
  const group: Schemas["Group"] = must("create group", created.data, created.error).data;
  const joined = await api.POST("/api/v1/groups/join", { body: { accessCode: group.accessCode ?? "" } });
  if (joined.error) {
    const code: string = joined.error.error.code;
    console.log(`join: ${code}`);
  }
  const groupPath = { params: { path: { group_id: group.id } } };
  await api.GET("/api/v1/groups/{group_id}", groupPath);
  const members = await api.GET("/api/v1/groups/{group_id}/members", groupPath);
  const total: number = must("members", members.data, members.error).meta.pagination.total;

  const scores = { groupId: group.id, productive: 7, satisfied: 6, body: 5, care: 3 };
  const before = await api.GET("/api/v1/events");
  const since: string = must("events cursor", before.data, before.error).data.cursor;
  const checkIn = await api.POST("/api/v1/checkins", {
    body: scores,
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
  });
  const mine: Schemas["CheckIn"] = must("check in", checkIn.data, checkIn.error).data;
  const duplicate = await api.POST("/api/v1/checkins", { body: scores });
  const polled = await api.GET("/api/v1/events", { params: { query: { since, wait: 10 } } });
  const events: Schemas["EventPage"]["events"] = must("events", polled.data, polled.error).data.events;
  if (duplicate.response.status === 409 && duplicate.error?.error.code === "DUPLICATE_CHECKIN") {
    console.log("duplicate check-in refused");
  }
  await api.GET("/api/v1/checkins/group/{group_id}", { params: { path: { group_id: group.id }, query: { page: 1 } } });
  await api.GET("/api/v1/checkins/current");
  const history = await api.GET("/api/v1/checkins/history", { params: { query: { groupId: group.id } } });
  const streak: number = must("history", history.data, history.error).meta.summary.currentStreak;
  await api.PATCH("/api/v1/checkins/{check_in_id}", {
    params: { path: { check_in_id: mine.id } },
    body: { care: 4, reflectionNote: "Better now." },
  });

  await api.GET("/api/v1/analytics/personal", { params: { query: { weeks: 12 } } });
  await api.GET("/api/v1/analytics/group/{group_id}", groupPath);
  await api.GET("/api/v1/analytics/comparison", { params: { query: { groupId: group.id } } });
  const insights = await api.GET("/api/v1/analytics/insights");
  const insightList: Schemas["Insight"][] = must("insights", insights.data, insights.error).data;

  const inbox = await api.GET("/api/v1/notifications", { params: { query: { unread: true } } });
  const unread: Schemas["Notification"][] = must("notifications", inbox.data, inbox.error).data;
  const unreadCount: number = must("notifications", inbox.data, inbox.error).meta.unreadCount;
  await api.POST("/api/v1/notifications/read-all");
  await api.GET("/api/v1/users/search", { params: { query: { q: "ts" } } });
  await api.GET("/api/v1/checkins/export", { params: { query: { format: "csv" } }, parseAs: "text" });
  // The JSON form is typed (an array of CheckIn, not wrapped in the envelope): a client that reads only
  // application/json gets it as such.
  const jsonOnly = createClient<paths, "application/json">({
    baseUrl,
    headers: { Authorization: `Bearer ${session.accessToken}` },
  });
  const exported = await jsonOnly.GET("/api/v1/checkins/export");
  const exportedRows: Schemas["CheckIn"][] = must("export", exported.data, exported.error);
  const imported = await api.POST("/api/v1/migration/localstorage", {
    params: { query: { dryRun: true } },
    body: { userProfile: { id: "old-1" }, groups: [], checkIns: [] },
  });
  const importId: string | null = must("import", imported.data, imported.error).data.importId;

  const form = new FormData();
  form.append("avatar", new Blob([new Uint8Array([137, 80, 78, 71])], { type: "image/png" }), "me.png");
  await api.POST("/api/v1/users/avatar", {
    // openapi-fetch sends a FormData body as multipart/form-data.
    body: { avatar: "" },
    bodySerializer: () => form,
  });

  const left = await api.POST("/api/v1/groups/{group_id}/leave", groupPath);
  // `data` is null here; openapi-fetch's Readable<> drops null-only properties, so check `success`.
  const leftOk: true = must("leave", left.data, left.error).success;
  const refreshed = await anonymous.POST("/api/v1/auth/refresh", { body: { refreshToken: session.refreshToken } });
  const pair: Schemas["TokenPair"] = must("refresh", refreshed.data, refreshed.error).data;
  const fresh = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${pair.accessToken}` } });
  await fresh.POST("/api/v1/auth/logout", { body: {} });
  // The password travels in the DELETE's body; a wrong one is a VALIDATION_ERROR on `password`.
  const deleted = await api.DELETE("/api/v1/users/account", { body: { password } });
  if (deleted.error) {
    const deleteCode: string = deleted.error.error.code;
    console.log(`delete account: ${deleteCode}`);
  }
  console.log(
    me.username, total, insightList.length, unread.length, importId, leftOk, streak, unreadCount, events.length,
    exportedRows.length, deleted.response.status,
  );
}
