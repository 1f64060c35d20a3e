// Searching the drafts from the list's search box. The term is debounced, and only the answer
// for the term now in the box is shown: an answer that arrives after the term changed is
// dropped, whichever order the answers come back in.
import type { SnippetPart } from "./bindings/SnippetPart";

/** How long the box waits after the last keystroke before it searches. */
export const SEARCH_DEBOUNCE_MS = 250;

/** Most hits the desk returns for one term (the backend's SEARCH_PAGE). */
export const SEARCH_PAGE = 50;

export type SearchState<H> =
  /** The box is empty: the ordinary list shows. */
  | { kind: "off" }
  /** Waiting for the debounce or the answer; `hits` are the last ones shown (if any). */
  | { kind: "searching"; term: string; hits: H[] | null }
  | { kind: "found"; term: string; hits: H[] }
  | { kind: "failed"; term: string };

export interface SearchOptions<H> {
  search: (term: string) => Promise<H[]>;
  onState: (state: SearchState<H>) => void;
  /** A search for the current term failed (the state is then "failed"). */
  onError?: (error: unknown) => void;
  delayMs?: number;
}

export class DraftSearch<H> {
  private readonly opts: SearchOptions<H>;
  private state: SearchState<H> = { kind: "off" };
  private term = "";
  // Bumped whenever the wanted answer changes: an answer carrying an older number is stale.
  private seq = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(options: SearchOptions<H>) {
    this.opts = options;
  }

  get current(): SearchState<H> {
    return this.state;
  }

  /** The box's text changed. Spaces around the term do not count. */
  setTerm(raw: string): void {
    if (this.disposed) return;
    const term = raw.trim();
    if (term === this.term) return;
    this.term = term;
    this.seq += 1;
    this.clearTimer();
    if (!term) {
      this.setState({ kind: "off" });
      return;
    }
    this.setState({ kind: "searching", term, hits: this.shownHits() });
    const seq = this.seq;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run(seq, term);
    }, this.opts.delayMs ?? SEARCH_DEBOUNCE_MS);
  }

  /**
   * The drafts changed: asks again for the current term, at once and quietly (the hits stay on
   * screen as they are until the answer; an answer already on its way is dropped). Nothing
   * happens while the box is empty or the debounce is still running (that search will see the
   * change).
   */
  refresh(): void {
    if (this.disposed || !this.term || this.timer !== null) return;
    this.seq += 1;
    void this.run(this.seq, this.term);
  }

  dispose(): void {
    this.disposed = true;
    this.seq += 1;
    this.clearTimer();
  }

  private async run(seq: number, term: string): Promise<void> {
    let hits: H[];
    try {
      hits = await this.opts.search(term);
    } catch (e) {
      if (this.isStale(seq)) return;
      this.setState({ kind: "failed", term });
      this.opts.onError?.(e);
      return;
    }
    if (this.isStale(seq)) return;
    this.setState({ kind: "found", term, hits });
  }

  private isStale(seq: number): boolean {
    return this.disposed || seq !== this.seq;
  }

  private shownHits(): H[] | null {
    const s = this.state;
    return s.kind === "found" || s.kind === "searching" ? s.hits : null;
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(state: SearchState<H>): void {
    this.state = state;
    this.opts.onState(state);
  }
}

/** A run of the snippet: plain text, or text that matched the term (shown in <mark>). */
export interface SnippetSegment {
  text: string;
  hit: boolean;
}

/** The snippet's parts, without empty ones, and with neighbours of the same kind joined. */
export function snippetSegments(parts: readonly SnippetPart[]): SnippetSegment[] {
  const out: SnippetSegment[] = [];
  for (const p of parts) {
    if (!p.text) continue;
    const last = out[out.length - 1];
    if (last && last.hit === p.hit) last.text += p.text;
    else out.push({ text: p.text, hit: p.hit });
  }
  return out;
}
