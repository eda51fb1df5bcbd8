// The shell: top navigation with the user, side navigation, breadcrumbs, flash messages, and the
// page the hash route names (or the sign-in page).
import AppLayout from "@cloudscape-design/components/app-layout";
import Alert from "@cloudscape-design/components/alert";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import Flashbar from "@cloudscape-design/components/flashbar";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import Box from "@cloudscape-design/components/box";
import { useCallback, useEffect, useState } from "react";
import {
  FlashProvider,
  navigate,
  registerLeavePrompt,
  releaseGuard,
  SessionProvider,
  useFlash,
  useRoute,
} from "./context.jsx";
import { ConfirmModal } from "./components/common.jsx";
import { api, ApiError } from "./lib/api.js";
import { currentUser, forgetSession, isLocalMode, signOut } from "./lib/auth.js";
import { SignInPage } from "./pages/sign-in.jsx";
import { PurchaseOrdersPage } from "./pages/purchase-orders.jsx";
import { PurchaseOrderPage } from "./pages/purchase-order.jsx";
import { PurchaseOrderWizard } from "./pages/po-wizard.jsx";
import { InvoicesPage } from "./pages/invoices.jsx";
import { InvoicePage } from "./pages/invoice.jsx";
import { UploadPage } from "./pages/upload.jsx";
import { SettingsPage } from "./pages/settings.jsx";

const ROUTES = [
  { pattern: /^\/purchase-orders$/, nav: "#/purchase-orders", page: PurchaseOrdersPage },
  { pattern: /^\/purchase-orders\/([^/]+)\/edit$/, nav: "#/purchase-orders", page: PurchaseOrderWizard, edit: true },
  { pattern: /^\/purchase-orders\/([^/]+)$/, nav: "#/purchase-orders", page: PurchaseOrderPage },
  { pattern: /^\/new-po$/, nav: "#/new-po", page: PurchaseOrderWizard },
  { pattern: /^\/invoices\/upload$/, nav: "#/invoices/upload", page: UploadPage },
  { pattern: /^\/invoices\/([^/]+)$/, nav: "#/invoices", page: InvoicePage },
  { pattern: /^\/invoices$/, nav: "#/invoices", page: InvoicesPage },
  { pattern: /^\/settings$/, nav: "#/settings", page: SettingsPage },
];

const NAV_ITEMS = [
  { type: "link", text: "Purchase orders", href: "#/purchase-orders" },
  { type: "link", text: "Add purchase order", href: "#/new-po" },
  { type: "divider" },
  { type: "link", text: "Invoices", href: "#/invoices" },
  { type: "link", text: "Upload invoices", href: "#/invoices/upload" },
  { type: "divider" },
  { type: "link", text: "Settings", href: "#/settings" },
];

export function App({ config, signInProblem, configureApi }) {
  const route = useRoute();
  const [user, setUser] = useState(() => currentUser());
  const [caller, setCaller] = useState(null);
  const [problem, setProblem] = useState(signInProblem);
  const [callerError, setCallerError] = useState(null);

  const onUnauthorized = useCallback(() => {
    forgetSession();
    setCaller(null);
    setUser(null);
    setProblem("Your session has ended. Please sign in again.");
  }, []);
  useState(() => configureApi(config.mode === "cognito" ? config.apiUrl : "", () => onUnauthorized()));

  useEffect(() => {
    if (!user) return;
    setCallerError(null);
    api.me().then(setCaller, (error) => setCallerError(error));
  }, [user]);

  if (!user) {
    return (
      <FlashProvider routeKey="sign-in">
        <SignInPage
          problem={problem}
          onSignedIn={() => {
            setProblem(null);
            setUser(currentUser());
          }}
        />
      </FlashProvider>
    );
  }
  return (
    <SessionProvider caller={caller}>
      <FlashProvider routeKey={`${route.path}?${route.params}`}>
        <Shell
          route={route}
          user={user}
          caller={caller}
          callerError={callerError}
          onSignOut={() => {
            releaseGuard();
            signOut();
            setCaller(null);
            setUser(null);
          }}
        />
      </FlashProvider>
    </SessionProvider>
  );
}

function Shell({ route, user, caller, callerError, onSignOut }) {
  const { items } = useFlash();
  const [navigationOpen, setNavigationOpen] = useState(() => window.innerWidth >= 1200);
  const [leaveTarget, setLeaveTarget] = useState(null);
  useEffect(() => registerLeavePrompt(setLeaveTarget), []);
  useEffect(repairLandmarks, []);
  const matched = ROUTES.map((candidate) => ({ candidate, match: candidate.pattern.exec(route.path) })).find((r) => r.match);
  useEffect(() => {
    if (!matched) navigate("#/purchase-orders", { replace: true, force: true });
  }, [matched]);
  const roles = caller?.roles ?? [];
  let content;
  if (callerError) {
    content = (
      <Alert type="error" header="Could not read who you are">
        {callerError instanceof ApiError ? callerError.message : String(callerError)}
      </Alert>
    );
  } else if (!caller || !matched) {
    content = (
      <Box textAlign="center" padding="xxl">
        <Spinner size="large" /> <span>Loading</span>
      </Box>
    );
  } else {
    const Page = matched.candidate.page;
    const parameters = matched.match.slice(1).map(decodeURIComponent);
    content = (
      <Page
        key={`${route.path}?${route.params}`}
        params={route.params}
        pathParameters={parameters}
        edit={matched.candidate.edit}
        setBreadcrumbs={() => {}}
      />
    );
  }
  const breadcrumbs = breadcrumbsFor(route.path, matched);
  return (
    <>
      <div id="top-nav">
        <TopNavigation
          identity={{ href: "#/purchase-orders", title: "Purchase orders · PO Console" }}
          utilities={[
            {
              type: "menu-dropdown",
              text: user,
              description: roles.length ? `Roles: ${roles.join(", ")}` : undefined,
              iconName: "user-profile",
              ariaLabel: `Signed in as ${user}${roles.length ? ` (${roles.join(", ")})` : ""}`,
              items: [{ id: "sign-out", text: "Sign out" }],
              onItemClick: ({ detail }) => detail.id === "sign-out" && onSignOut(),
            },
          ]}
          i18nStrings={{ overflowMenuTriggerText: "More", overflowMenuTitleText: "All" }}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        navigationOpen={navigationOpen}
        onNavigationChange={({ detail }) => setNavigationOpen(detail.open)}
        navigation={
          <SideNavigation
            header={{ text: "PO Console", href: "#/purchase-orders" }}
            activeHref={matched?.candidate.nav ?? "#/purchase-orders"}
            items={NAV_ITEMS}
            onFollow={(event) => {
              if (event.detail.external) return;
              event.preventDefault();
              if (window.innerWidth < 688) setNavigationOpen(false);
              navigate(event.detail.href);
            }}
          />
        }
        ariaLabels={{ navigation: "Main", navigationToggle: "Open navigation", navigationClose: "Close navigation" }}
        toolsHide
        breadcrumbs={
          <BreadcrumbGroup
            items={breadcrumbs}
            ariaLabel="Breadcrumbs"
            onFollow={(event) => {
              event.preventDefault();
              navigate(event.detail.href);
            }}
          />
        }
        notifications={<Flashbar items={items} stackItems={items.length > 2} i18nStrings={FLASHBAR_STRINGS} />}
        stickyNotifications
        content={content}
        contentType={matched?.candidate.page === PurchaseOrdersPage || matched?.candidate.page === InvoicesPage ? "table" : "default"}
      />
      <ConfirmModal
        visible={leaveTarget !== null}
        header="Leave without saving?"
        confirmText="Leave"
        onCancel={() => setLeaveTarget(null)}
        onConfirm={() => {
          const target = leaveTarget;
          setLeaveTarget(null);
          releaseGuard();
          navigate(target, { force: true });
        }}
      >
        Your changes on this page have not been saved. If you leave now, they are lost.
      </ConfirmModal>
      <span hidden data-signed-in={user} />
    </>
  );
}

/**
 * AppLayout's narrow-screen toolbar is a <nav> with aria-orientation, which ARIA does not allow on a
 * navigation landmark (axe: aria-allowed-attr, critical). Removes it whenever the layout renders one.
 */
function repairLandmarks() {
  const repair = () => {
    for (const nav of document.querySelectorAll("nav[aria-orientation]")) nav.removeAttribute("aria-orientation");
  };
  repair();
  const observer = new MutationObserver(repair);
  observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-orientation"] });
  return () => observer.disconnect();
}

const FLASHBAR_STRINGS = {
  ariaLabel: "Notifications",
  notificationBarText: "Notifications",
  notificationBarAriaLabel: "View all notifications",
  errorIconAriaLabel: "Error",
  warningIconAriaLabel: "Warning",
  successIconAriaLabel: "Success",
  infoIconAriaLabel: "Information",
  inProgressIconAriaLabel: "In progress",
};

function breadcrumbsFor(path, matched) {
  const home = { text: "PO Console", href: "#/purchase-orders" };
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "purchase-orders") {
    const items = [home, { text: "Purchase orders", href: "#/purchase-orders" }];
    if (parts[1]) items.push({ text: parts[1], href: `#/purchase-orders/${encodeURIComponent(parts[1])}` });
    if (parts[2] === "edit") items.push({ text: "Edit", href: `#${path}` });
    return items;
  }
  if (parts[0] === "new-po") return [home, { text: "Purchase orders", href: "#/purchase-orders" }, { text: "Add purchase order", href: "#/new-po" }];
  if (parts[0] === "invoices") {
    const items = [home, { text: "Invoices", href: "#/invoices" }];
    if (parts[1] === "upload") items.push({ text: "Upload invoices", href: "#/invoices/upload" });
    else if (parts[1]) items.push({ text: parts[1], href: `#/invoices/${encodeURIComponent(parts[1])}` });
    return items;
  }
  if (parts[0] === "settings") return [home, { text: "Settings", href: "#/settings" }];
  return matched ? [home] : [home];
}

export { isLocalMode };
