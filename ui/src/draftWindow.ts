// The part of a long draft list that is on screen. A desk can hold thousands of drafts; the list
// shows the first rows and more on request, and never hides the draft open in the editor.

/** Rows the list shows at first, and how many more each "show more" adds. */
export const DRAFT_PAGE = 200;

export interface DraftWindow<D> {
  rows: D[];
  /** Drafts not among `rows`. */
  hidden: number;
}

/**
 * The first `shown` drafts, and the selected one after them when it lies further down (so the
 * open draft is always in the list).
 */
export function visibleDrafts<D extends { id: string }>(
  all: readonly D[],
  shown: number,
  selectedId: string | null,
): DraftWindow<D> {
  const count = Math.max(0, Math.floor(shown));
  const rows = all.slice(0, count);
  if (selectedId !== null && !rows.some((d) => d.id === selectedId)) {
    const selected = all.find((d, i) => i >= count && d.id === selectedId);
    if (selected) rows.push(selected);
  }
  return { rows, hidden: all.length - rows.length };
}

/** How many rows to show after one more "show more", not beyond the list. */
export function showMore(shown: number, total: number, page = DRAFT_PAGE): number {
  return Math.min(Math.max(shown, 0) + page, Math.max(total, page));
}
