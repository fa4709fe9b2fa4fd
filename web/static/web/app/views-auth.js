// @ts-check
import { unwrap } from "../sdk/http.js";
import { h, replace } from "./dom.js";
import { errorBox, field, onSubmit } from "./ui.js";

/** @typedef {import("./main.js").Context} Context */

/** @param {Context} ctx @param {string} title @param {...import("./dom.js").Child} children */
function card(ctx, title, ...children) {
  replace(ctx.main, h("section", { class: "card narrow" }, h("h1", {}, title), ...children));
}

/** @param {Context} ctx */
function afterSignIn(ctx) {
  ctx.app.startSession();
  const next = ctx.query.get("next");
  ctx.navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
}

/** @param {Context} ctx */
function login(ctx) {
  if (ctx.sdk.auth.signedIn) return ctx.navigate("/");
  const form = h(
    "form",
    { novalidate: true },
    field("Email or username", { name: "login", type: "text", autocomplete: "username", required: true }),
    field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    h("button", { type: "submit" }, "Sign in"),
  );
  onSubmit(form, async (values) => {
    const body = values.login.includes("@")
      ? { email: values.login, password: values.password }
      : { username: values.login, password: values.password };
    await ctx.sdk.login(body);
    afterSignIn(ctx);
  });
  card(
    ctx,
    "Sign in",
    form,
    h("p", {}, h("a", { href: "/forgot-password" }, "Forgot your password?")),
    h("p", {}, "New here? ", h("a", { href: "/register" }, "Create an account")),
  );
}

/** @param {Context} ctx */
function register(ctx) {
  const form = h(
    "form",
    { novalidate: true },
    field("Username (3–20 letters, digits or _)", { name: "username", autocomplete: "username", required: true, pattern: "[A-Za-z0-9_]{3,20}" }),
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    field("Password (8+ characters with upper- and lower-case letters and a digit)", {
      name: "password",
      type: "password",
      autocomplete: "new-password",
      required: true,
      minlength: 8,
    }),
    h("button", { type: "submit" }, "Create account"),
  );
  onSubmit(form, async (values) => {
    await ctx.sdk.register({ username: values.username, email: values.email, password: values.password });
    ctx.flash("Welcome! We sent you an email: open its link to verify your address.");
    afterSignIn(ctx);
  });
  card(ctx, "Create your account", form, h("p", {}, "Have an account? ", h("a", { href: "/login" }, "Sign in")));
}

/** @param {Context} ctx */
function forgotPassword(ctx) {
  const form = h(
    "form",
    { novalidate: true },
    field("Email", { name: "email", type: "email", autocomplete: "email", required: true }),
    h("button", { type: "submit" }, "Send reset link"),
  );
  onSubmit(form, async (values) => {
    await unwrap(ctx.sdk.api.POST("/api/v1/auth/forgot-password", { body: { email: values.email } }));
    replace(form, h("p", { role: "status" }, "If an account uses that address, a reset link is on its way. It works for one hour."));
  });
  card(ctx, "Reset your password", form, h("p", {}, h("a", { href: "/login" }, "Back to sign in")));
}

/** @param {Context} ctx */
function resetPassword(ctx) {
  const token = ctx.query.get("token") ?? "";
  const form = h(
    "form",
    { novalidate: true },
    field("New password", { name: "newPassword", type: "password", autocomplete: "new-password", required: true, minlength: 8 }),
    h("button", { type: "submit" }, "Set new password"),
  );
  onSubmit(form, async (values) => {
    await unwrap(ctx.sdk.api.POST("/api/v1/auth/reset-password", { body: { token, newPassword: values.newPassword } }));
    if (ctx.sdk.auth.signedIn) ctx.sdk.auth.signOut();
    ctx.flash("Your password is changed and every session was signed out. Sign in with the new password.");
    ctx.navigate("/login");
  });
  card(ctx, "Choose a new password", token ? form : h("p", { class: "error" }, "This page needs the link from the reset email."));
}

/** @param {Context} ctx */
async function verifyEmail(ctx) {
  const token = ctx.query.get("token") ?? "";
  card(ctx, "Verifying your email…");
  try {
    await unwrap(ctx.sdk.api.POST("/api/v1/auth/verify-email", { body: { token } }));
    const user = ctx.sdk.auth.session?.user;
    if (user) ctx.sdk.auth.updateUser({ ...user, emailVerified: true });
    card(ctx, "Email verified", h("p", { role: "status" }, "Thank you, your address is confirmed."), h("a", { href: "/" }, "Go to HuCares"));
  } catch (error) {
    card(ctx, "Could not verify your email", errorBox(error), h("a", { href: "/profile" }, "Send a new link from your profile"));
  }
}

/** @type {import("./main.js").Route[]} */
export const authRoutes = [
  { path: /^\/login$/, view: login, public: true, title: "Sign in" },
  { path: /^\/register$/, view: register, public: true, title: "Create account" },
  { path: /^\/forgot-password$/, view: forgotPassword, public: true, title: "Forgot password" },
  { path: /^\/reset-password$/, view: resetPassword, public: true, title: "Reset password" },
  { path: /^\/verify-email$/, view: verifyEmail, public: true, title: "Verify email" },
];
