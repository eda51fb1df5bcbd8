// Sign-in: an account id in local mode, the Cognito hosted UI when deployed.

import { beginCognitoSignIn, isLocalMode, signInLocally } from "../auth.js";
import { announce, h } from "../dom.js";
import { field } from "../forms.js";

const ACCOUNT_ID_PATTERN = "[A-Za-z0-9_\\-]{1,64}"; // the contract's local-mode account ids

export function renderSignIn(view, { problem, onSignedIn }) {
  view.append(
    h("h1", { tabindex: -1 }, "Sign in"),
    problem ? h("p", { class: "error", role: "alert" }, problem) : null,
  );
  if (!isLocalMode()) {
    const button = h("button", { type: "button" }, "Sign in with your organisation account");
    button.addEventListener("click", () => beginCognitoSignIn());
    view.append(h("p", {}, "You will be sent to the sign-in page and brought back here."), button);
    return;
  }
  const form = h(
    "form",
    { class: "card narrow", "aria-label": "Sign in" },
    h("p", {}, "Local mode: the API trusts the account id you give here."),
    field({
      label: "Account id",
      name: "accountId",
      required: true,
      pattern: ACCOUNT_ID_PATTERN,
      autocomplete: "username",
      hint: "1–64 letters, digits, _ or -",
    }),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    signInLocally(form.elements.namedItem("accountId").value.trim());
    announce("Signed in.");
    onSignedIn();
  });
  view.append(form);
}
