// Small pieces every page uses: buttons that say which role they need, statuses, money, balances.
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Link from "@cloudscape-design/components/link";
import Modal from "@cloudscape-design/components/modal";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import { useEffect, useRef, useState } from "react";
import { navigate, useSession } from "../context.jsx";
import { label, STATUS_TYPE } from "../lib/labels.js";
import { formatMoney, percentOf, toUnits } from "../lib/money.js";

/**
 * A button for an API route: disabled, with the role it needs as its reason (a tooltip, and its
 * accessible description), when the user's roles do not allow the route.
 */
export function GuardedButton({ route: [method, path], disabled, disabledReason, href, onFollow, ...props }) {
  const { allows, whyNot } = useSession();
  const allowed = allows(method, path);
  // A link the user may not follow becomes a disabled button (it would only lead to a refused form).
  const link = allowed && !disabled ? { href, onFollow } : {};
  return (
    <Button
      {...props}
      {...link}
      disabled={!allowed || disabled}
      disabledReason={!allowed ? whyNot(method, path) : disabled ? disabledReason : undefined}
    />
  );
}

/** A link inside the console (hash route), keyboard- and middle-click friendly. */
export function RouteLink({ href, children, ...props }) {
  return (
    <Link
      href={href}
      onFollow={(event) => {
        if (event.detail.external) return;
        event.preventDefault();
        navigate(href);
      }}
      {...props}
    >
      {children}
    </Link>
  );
}

export function Status({ table, code, children }) {
  return (
    <StatusIndicator type={STATUS_TYPE[table]?.[code] ?? "info"} wrapText={false}>
      {children ?? label(table, code)}
    </StatusIndicator>
  );
}

export function Money({ amount, currency, signDisplay }) {
  return <span className="po-nowrap">{formatMoney(amount, currency, { signDisplay })}</span>;
}

/**
 * A balance as a bar of how much is used, its remaining amount beside; a negative balance is
 * "over by X (11%)" in red.
 */
export function BalanceBar({ total, invoiced, balance, currency, label: barLabel }) {
  const balanceUnits = toUnits(balance);
  if (balanceUnits === null) return <Box color="text-status-inactive">No balance tracking</Box>;
  if (balanceUnits < 0n) {
    const over = formatMoney(-balanceUnits, currency);
    const share = percentOf(-balanceUnits, total);
    return (
      <ProgressBar
        value={100}
        status="error"
        ariaLabel={barLabel ?? "Balance"}
        resultText={`Over by ${over}${share === null ? "" : ` (${Math.round(share)}%)`}`}
      />
    );
  }
  const used = percentOf(invoiced, total);
  return (
    <ProgressBar
      value={used === null ? 0 : Math.min(100, used)}
      ariaLabel={barLabel ?? "Share of the total invoiced"}
      additionalInfo={`${formatMoney(balance, currency)} left`}
    />
  );
}

/** A confirmation dialog; confirm() may be async (the dialog shows it working). */
export function ConfirmModal({ visible, header, children, confirmText, danger = false, onConfirm, onCancel, disabled }) {
  const [working, setWorking] = useState(false);
  return (
    <Modal
      visible={visible}
      header={header}
      onDismiss={onCancel}
      closeAriaLabel="Close"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onCancel}>
              Cancel
            </Button>
            <Button
              variant="primary"
              loading={working}
              disabled={disabled}
              onClick={async () => {
                setWorking(true);
                try {
                  await onConfirm();
                } finally {
                  setWorking(false);
                }
              }}
            >
              {confirmText}
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      {children}
      {danger ? null : null}
    </Modal>
  );
}

/** Sets document.title and focuses the page heading after a navigation (not on a fresh load). */
let firstPage = true;
export function usePageTitle(title) {
  const ref = useRef(null);
  useEffect(() => {
    document.title = `${title} · PO Console`;
    if (!firstPage) {
      const heading = document.querySelector("main h1, [data-page-heading] h1");
      heading?.setAttribute("tabindex", "-1");
      heading?.focus({ preventScroll: true });
    }
    firstPage = false;
  }, [title]);
  return ref;
}
