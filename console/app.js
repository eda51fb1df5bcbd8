// The console's entry point: reads config.json, signs the user in, and routes on the hash
// (#/purchase-orders, #/purchase-orders/<id>, #/new-po, #/invoices, #/settings), so no console
// address can ever be mistaken for an API path.

import { configureApi } from "./api.js";
import { completeCognitoSignIn, configureAuth, currentUser, forgetSession, signOut } from "./auth.js";
import { announce, h } from "./dom.js";
import { renderInvoices } from "./views/invoices.js";
import { renderNewPurchaseOrder, renderEditPurchaseOrder } from "./views/po-form.js";
import { renderPurchaseOrder } from "./views/po-details.js";
import { renderPurchaseOrders } from "./views/purchase-orders.js";
import { renderSettings } from "./views/settings.js";
import { renderSignIn } from "./views/sign-in.js";

const HOME = "#/purchase-orders";
const ROUTES = [
  { pattern: /^\/purchase-orders$/, nav: "#/purchase-orders", render: renderPurchaseOrders },
  { pattern: /^\/purchase-orders\/([^/]+)$/, nav: "#/purchase-orders", render: renderPurchaseOrder },
  { pattern: /^\/purchase-orders\/([^/]+)\/edit$/, nav: "#/purchase-orders", render: renderEditPurchaseOrder },
  { pattern: /^\/new-po$/, nav: "#/new-po", render: renderNewPurchaseOrder },
  { pattern: /^\/invoices$/, nav: "#/invoices", render: renderInvoices },
  { pattern: /^\/settings$/, nav: "#/settings", render: renderSettings },
];

let signInProblem = null;

function parseHash() {
  const [path, query = ""] = location.hash.replace(/^#/, "").split("?");
  return { path, params: new URLSearchParams(query) };
}

function renderSession() {
  const session = document.getElementById("session");
  const user = currentUser();
  document.getElementById("nav").hidden = !user;
  if (!user) {
    session.replaceChildren();
    return;
  }
  const signOutButton = h("button", { type: "button", class: "secondary" }, "Sign out");
  signOutButton.addEventListener("click", () => {
    signOut();
    announce("Signed out.");
    route();
  });
  session.replaceChildren(h("span", {}, "Signed in as ", h("strong", {}, user)), signOutButton);
}

function markCurrentNav(href) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === href) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

/**
 * Shows the view the hash names (or the sign-in view). After a navigation, focus moves to the new
 * view's heading, so keyboard and screen-reader users start there; a fresh page load leaves focus at the top.
 */
async function route({ moveFocus = true } = {}) {
  const main = document.getElementById("main");
  const view = h("div", { class: "view" });
  main.replaceChildren(view);
  renderSession();
  if (!currentUser()) {
    markCurrentNav(null);
    renderSignIn(view, { problem: signInProblem, onSignedIn: route });
    signInProblem = null;
    return;
  }
  const { path, params } = parseHash();
  const matched = ROUTES.map((candidate) => ({ candidate, match: candidate.pattern.exec(path) })).find((r) => r.match);
  if (!matched) {
    location.replace(HOME);
    return;
  }
  markCurrentNav(matched.candidate.nav);
  const pathParameters = matched.match.slice(1).map(decodeURIComponent);
  const rendering = matched.candidate.render(view, { params, pathParameters });
  const heading = view.querySelector("h1");
  if (heading) {
    document.title = `${heading.textContent} · PO Console`;
    if (moveFocus) heading.focus();
  }
  try {
    await rendering;
  } catch (error) {
    view.append(h("p", { class: "error", role: "alert" }, `Could not load this page: ${error.message}`));
  }
}

function onUnauthorized() {
  forgetSession();
  signInProblem = "Your session has ended. Please sign in again.";
  route();
}

async function start() {
  const response = await fetch("config.json", { cache: "no-store" });
  const config = await response.json();
  configureAuth(config);
  configureApi(config.mode === "cognito" ? config.apiUrl : "", onUnauthorized);
  try {
    await completeCognitoSignIn();
  } catch (error) {
    signInProblem = error.message;
  }
  document.getElementById("skip-link").addEventListener("click", (event) => {
    event.preventDefault(); // the hash is the route: move focus without changing it
    document.getElementById("main").focus();
  });
  window.addEventListener("hashchange", () => route());
  if (!location.hash.startsWith("#/")) history.replaceState(null, "", HOME);
  route({ moveFocus: false });
}

start();
