// Table preferences (visible columns, page size, wrapping) and the "showing a–b of n" line.
import CollectionPreferences from "@cloudscape-design/components/collection-preferences";
import Box from "@cloudscape-design/components/box";

export function TablePreferences({ preferences, onConfirm, columns, title = "Preferences" }) {
  return (
    <CollectionPreferences
      title={title}
      confirmLabel="Confirm"
      cancelLabel="Cancel"
      preferences={preferences}
      onConfirm={({ detail }) => onConfirm(detail)}
      pageSizePreference={{
        title: "Page size",
        options: [10, 20, 50, 100].map((value) => ({ value, label: `${value} rows` })),
      }}
      wrapLinesPreference={{ label: "Wrap lines", description: "Show long text on several lines" }}
      stripedRowsPreference={{ label: "Striped rows" }}
      stickyColumnsPreference={{
        firstColumns: {
          title: "Keep the first column visible",
          description: "While the table scrolls sideways",
          options: [
            { label: "None", value: 0 },
            { label: "First column", value: 1 },
          ],
        },
      }}
      contentDisplayPreference={{
        title: "Columns",
        description: "Choose the columns and their order",
        options: columns.map(({ id, header, alwaysVisible }) => ({ id, label: header, alwaysVisible })),
        liveAnnouncementDndStarted: (position, total) => `Picked up item at position ${position} of ${total}`,
        liveAnnouncementDndDiscarded: "Reordering canceled",
        liveAnnouncementDndItemReordered: (initial, current, total) =>
          initial === current ? `Moving item back to position ${current} of ${total}` : `Moving item to position ${current} of ${total}`,
        liveAnnouncementDndItemCommitted: (initial, final, total) =>
          initial === final ? `Item moved back to its original position ${initial} of ${total}` : `Item moved from position ${initial} to position ${final} of ${total}`,
        dragHandleAriaDescription:
          "Use Space or Enter to activate drag for an item, then use the arrow keys to move the item's position. To complete the position move, use Space or Enter, or to discard the move, use Escape.",
        dragHandleAriaLabel: "Drag handle",
      }}
    />
  );
}

export function ShowingCount({ firstIndex, shown, total, noun }) {
  if (!total) return null;
  return (
    <Box variant="small" color="text-body-secondary">
      Showing {firstIndex}–{firstIndex + shown - 1} of {total} {noun}
    </Box>
  );
}
