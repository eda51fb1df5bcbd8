// Who the user is and what goes in the Authorization header.
//  - local mode: the account id typed at sign-in, sent as "Bearer local:<id>" (the local runner's
//    stand-in for the authorizer);
//  - cognito mode: the Cognito hosted UI, OAuth2 authorization code with PKCE, done with fetch and
//    WebCrypto; the ID token is sent as it is (the API's Cognito authorizer reads ID tokens).
// Everything is kept in sessionStorage: it ends with the tab and is never shared with other sites.

const LOCAL_ACCOUNT_KEY = "po-console.localAccountId";
const ID_TOKEN_KEY = "po-console.idToken";
const PKCE_KEY = "po-console.pkce";

let config = { mode: "local" };

export function configureAuth(consoleConfig) {
  config = consoleConfig;
}

export function isLocalMode() {
  return config.mode !== "cognito";
}

/** The signed-in user's display name, or null when nobody is signed in (or the token has expired). */
export function currentUser() {
  if (isLocalMode()) {
    const identity = sessionStorage.getItem(LOCAL_ACCOUNT_KEY);
    const [account, user] = identity?.split(":") ?? [];
    return user ? `${user} (${account})` : identity;
  }
  const token = sessionStorage.getItem(ID_TOKEN_KEY);
  if (!token) return null;
  const claims = decodeJwtPayload(token);
  if (!claims || claims.exp * 1000 <= Date.now()) {
    sessionStorage.removeItem(ID_TOKEN_KEY);
    return null;
  }
  return claims.email || claims["cognito:username"] || claims.sub;
}

export function authorizationHeader() {
  if (isLocalMode()) return `Bearer local:${sessionStorage.getItem(LOCAL_ACCOUNT_KEY) ?? ""}`;
  return sessionStorage.getItem(ID_TOKEN_KEY) ?? "";
}

/** identity: "<account>" or "<account>:<user>:<role>+<role>", as the contract's local tokens. */
export function signInLocally(identity) {
  sessionStorage.setItem(LOCAL_ACCOUNT_KEY, identity);
}

/** Forgets the session (after a 401, the token is no longer worth anything). */
export function forgetSession() {
  sessionStorage.removeItem(LOCAL_ACCOUNT_KEY);
  sessionStorage.removeItem(ID_TOKEN_KEY);
}

export function signOut() {
  forgetSession();
  if (isLocalMode()) return;
  const logout = new URL("/logout", cognitoBase());
  logout.searchParams.set("client_id", config.clientId);
  logout.searchParams.set("logout_uri", redirectUri());
  location.assign(logout);
}

/** Sends the browser to the hosted UI, keeping the PKCE verifier and state for the way back. */
export async function beginCognitoSignIn() {
  const verifier = randomUrlSafe(32);
  const state = randomUrlSafe(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const authorize = new URL("/oauth2/authorize", cognitoBase());
  authorize.search = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: "openid email",
    state,
    code_challenge: base64Url(new Uint8Array(digest)),
    code_challenge_method: "S256",
  }).toString();
  location.assign(authorize);
}

/**
 * On the way back from the hosted UI (?code=…&state=…): exchanges the code for tokens, checks the
 * state, and removes the query from the address bar. Does nothing on any other page load.
 */
export async function completeCognitoSignIn() {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  if (isLocalMode() || !code) return;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", `${location.pathname}${location.hash || "#/purchase-orders"}`);
  if (!saved || saved.state !== query.get("state"))
    throw new Error("The sign-in response did not match this tab's request.");
  const response = await fetch(new URL("/oauth2/token", cognitoBase()), {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Sign-in failed (${response.status}).`);
  const tokens = await response.json();
  sessionStorage.setItem(ID_TOKEN_KEY, tokens.id_token);
}

function cognitoBase() {
  return config.domain.startsWith("https://") ? config.domain : `https://${config.domain}`;
}

function redirectUri() {
  return `${location.origin}/`;
}

function randomUrlSafe(byteCount) {
  return base64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function decodeJwtPayload(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}
