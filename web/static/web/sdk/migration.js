// @ts-check
/**
 * The old app kept everything in this origin's localStorage under these keys.
 * They are read, never changed, until the user asks to forget them.
 */
export const OLD_KEYS = ["hucares_user_profile", "hucares_check_ins", "hucares_groups", "hucares_friends", "hucares_current_week"];
export const LAST_IMPORT_KEY = "hucares.lastImport";

/** @typedef {import("./auth.js").KeyValueStore} KeyValueStore */

/**
 * The old app's raw key map (each value the JSON string localStorage holds),
 * or null when this origin has none of its data.
 * @param {KeyValueStore} storage
 * @returns {Record<string, string> | null}
 */
export function readOldKeys(storage) {
  /** @type {Record<string, string>} */
  const found = {};
  for (const key of OLD_KEYS) {
    const value = storage.getItem(key);
    if (value !== null) found[key] = value;
  }
  return found.hucares_check_ins || found.hucares_user_profile ? found : null;
}

/**
 * An export file the user picked: the old app's `{userProfile, checkIns, …}`
 * object or a raw key map. Throws a message a person can act on.
 * @param {string} text
 * @returns {Record<string, unknown>}
 */
export function parseExportFile(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("That file is not JSON. Pick the file the old HuCares app's Export button saved.");
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    throw new Error("That file does not look like a HuCares export.");
  }
  const isExport = Array.isArray(data.checkIns);
  const isKeyMap = typeof data.hucares_check_ins === "string";
  if (!isExport && !isKeyMap) throw new Error("That file holds no HuCares check-ins.");
  return data;
}

/**
 * How many check-ins a payload holds (to show before anything is sent).
 * @param {Record<string, unknown>} payload
 */
export function countCheckIns(payload) {
  if (Array.isArray(payload.checkIns)) return payload.checkIns.length;
  try {
    const list = JSON.parse(String(payload.hucares_check_ins ?? "[]"));
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return 0;
  }
}

/**
 * Remove the old app's keys: only ever on the user's explicit request.
 * @param {KeyValueStore} storage
 */
export function forgetOldKeys(storage) {
  for (const key of OLD_KEYS) storage.removeItem(key);
}
