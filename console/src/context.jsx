// What every page shares: the hash route, the flash messages, who is signed in and what their
// roles allow, and the guard that warns before unsaved changes are left behind.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { ApiError } from "./lib/api.js";
import { describeField, plainDetail, plainMessage } from "./lib/labels.js";

/* ---------- routing (on the URL's hash, so no console address is ever an API path) ---------- */

export function parseHash(hash = location.hash) {
  const [path, query = ""] = hash.replace(/^#/, "").split("?");
  return { path: path || "/purchase-orders", params: new URLSearchParams(query) };
}

export const poHref = (poId) => `#/purchase-orders/${encodeURIComponent(poId)}`;
export const invoiceHref = (invoiceId) => `#/invoices/${encodeURIComponent(invoiceId)}`;

let leaveGuard = null; // () => boolean: true when leaving must be confirmed
let guardPrompt = null; // (target) => void: shows the confirmation

export function navigate(hash, { replace = false, force = false } = {}) {
  if (!force && leaveGuard?.()) {
    guardPrompt?.(hash);
    return;
  }
  if (replace) {
    history.replaceState(null, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

export function useRoute() {
  const [hash, setHash] = useState(location.hash);
  const shown = useRef(location.hash);
  useEffect(() => {
    const onChange = () => {
      if (location.hash !== shown.current && leaveGuard?.()) {
        const target = location.hash;
        history.replaceState(null, "", shown.current); // stay until the user says to leave
        guardPrompt?.(target);
        return;
      }
      shown.current = location.hash;
      setHash(location.hash);
    };
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return useMemo(() => parseHash(hash), [hash]);
}

/** The shell registers how to ask "leave without saving?" (target: the hash the user asked for). */
export function registerLeavePrompt(prompt) {
  guardPrompt = prompt;
  return () => {
    if (guardPrompt === prompt) guardPrompt = null;
  };
}

/** While dirty is true, leaving the page (another route, a reload, closing the tab) asks first. */
export function useUnsavedChangesGuard(dirty) {
  useEffect(() => {
    if (!dirty) return undefined;
    const guard = () => true;
    leaveGuard = guard;
    const onBeforeUnload = (event) => {
      event.preventDefault();
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => {
      if (leaveGuard === guard) leaveGuard = null;
      window.removeEventListener("beforeunload", onBeforeUnload);
    };
  }, [dirty]);
}

/** Lets the next navigation through (after the user said to leave, or once the form is saved). */
export function releaseGuard() {
  leaveGuard = null;
}

/* ---------- flash messages ---------- */

const FlashContext = createContext(null);
let flashCounter = 0;

export function FlashProvider({ routeKey, children }) {
  const [items, setItems] = useState([]);
  const navigations = useRef(0);
  useEffect(() => {
    // A message outlives the navigation that its action caused, then goes.
    navigations.current += 1;
    const now = navigations.current;
    setItems((current) => current.filter((item) => item.persistent || item.navigation >= now - 1));
  }, [routeKey]);
  const dismiss = useCallback((id) => setItems((current) => current.filter((item) => item.id !== id)), []);
  const notify = useCallback(
    (message) => {
      flashCounter += 1;
      const id = message.id ?? `flash-${flashCounter}`;
      const item = { dismissible: true, dismissLabel: "Dismiss message", ...message, id, navigation: navigations.current };
      item.onDismiss = () => dismiss(id);
      setItems((current) => [item, ...current.filter((existing) => existing.id !== id)].slice(0, 5));
      return id;
    },
    [dismiss],
  );
  const value = useMemo(() => ({ items, notify, dismiss }), [items, notify, dismiss]);
  return <FlashContext.Provider value={value}>{children}</FlashContext.Provider>;
}

export function useFlash() {
  return useContext(FlashContext);
}

/**
 * Reads one resource for a page: ``found`` gets it; a 404 makes it ``missing`` (deleted, or never
 * there); any other error is the page's ``problem``, in words.
 */
export function readResource(request, { found, missing, problem }) {
  problem(null);
  return request.then(
    (value) => {
      found(value);
      missing(false);
    },
    (error) => {
      if (error instanceof ApiError && error.status === 404) missing(true);
      else problem(describeError(error));
    },
  );
}

/** The words for an API error, for a flash or an alert. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return { header: "Something went wrong", content: error?.message ?? String(error) };
  if (error.status === 412)
    return {
      header: "Someone else changed this in the meantime",
      content: "Your change was not saved. Reload to see the latest version, then make your change again.",
    };
  if (error.status === 403) return { header: "Your roles do not allow this", content: plainDetail(error.detail) };
  if (error.status === 0) return { header: "No connection", content: error.detail };
  if (error.fieldErrors.length)
    return {
      header: "Some fields need attention",
      content: error.fieldErrors.map((entry) => `${describeField(entry.field)}: ${plainMessage(entry.msg)}`).join("; "),
    };
  return { header: error.status === 409 ? "That cannot be done now" : error.title, content: plainDetail(error.detail ?? error.message) };
}

/** notifyError(error, {action, onReload}): a flash naming what failed; a 412 offers a reload. */
export function useNotifyError() {
  const { notify } = useFlash();
  return useCallback(
    (error, { action, onReload } = {}) => {
      const { header, content } = describeError(error);
      const reload = error instanceof ApiError && error.status === 412 && onReload;
      return notify({
        type: "error",
        header: action ? `${action}: ${header.charAt(0).toLowerCase()}${header.slice(1)}` : header,
        content,
        buttonText: reload ? "Reload" : undefined,
        onButtonClick: reload ? () => onReload() : undefined,
      });
    },
    [notify],
  );
}

/* ---------- who is signed in ---------- */

const SessionContext = createContext({ caller: null });

export function SessionProvider({ caller, children }) {
  const value = useMemo(() => {
    const allows = (method, route) => !caller || (caller.allowed ?? []).includes(`${method} ${route}`);
    const whyNot = (method, route) => {
      const role = caller?.roleFor?.[`${method} ${route}`] ?? "admin";
      const held = caller?.roles?.length ? caller.roles.join(", ") : "none";
      return `Needs the ${role} role (your roles: ${held}).`;
    };
    return { caller, allows, whyNot };
  }, [caller]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession() {
  return useContext(SessionContext);
}
