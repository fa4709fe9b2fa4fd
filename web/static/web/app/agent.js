// @ts-check
/**
 * A device's name from its user agent: "Chrome on Android", "Safari on iPhone".
 * Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari",
 * and Android also says "Linux".
 */
const BROWSERS = /** @type {const} */ ([
  [/\bEdg(e|A|iOS)?\//, "Edge"],
  [/\b(OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(Firefox|FxiOS)\//, "Firefox"],
  [/\b(Chrome|CriOS|Chromium)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/\bHeadlessChrome\//, "Chrome"],
  [/^(curl|python-requests|python-httpx|okhttp|Dart)\b/i, "a program"],
  [/^node|undici/i, "a program"],
]);
const SYSTEMS = /** @type {const} */ ([
  [/\biPhone\b/, "iPhone"],
  [/\biPad\b/, "iPad"],
  [/\bAndroid\b/, "Android"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bWindows\b/, "Windows"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b/, "Linux"],
]);

/** @param {string | null | undefined} userAgent */
export function deviceName(userAgent) {
  const agent = (userAgent ?? "").trim();
  if (!agent) return "Unknown device";
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1] ?? null;
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1] ?? null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? "Unknown device";
}
