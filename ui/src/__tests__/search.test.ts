import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { DraftSearch, SEARCH_DEBOUNCE_MS, snippetSegments, type SearchState } from "../search";

type Hit = { id: string };

/** A search whose answers the test settles by hand, in any order. */
function setup() {
  const asked: Array<{
    term: string;
    resolve: (hits: Hit[]) => void;
    reject: (e: unknown) => void;
  }> = [];
  const states: SearchState<Hit>[] = [];
  const errors: unknown[] = [];
  const search = new DraftSearch<Hit>({
    search: (term) =>
      new Promise<Hit[]>((resolve, reject) => {
        asked.push({ term, resolve, reject });
      }),
    onState: (s) => states.push(s),
    onError: (e) => errors.push(e),
  });
  return { search, asked, states, errors, last: () => states[states.length - 1] };
}

const hits = (...ids: string[]): Hit[] => ids.map((id) => ({ id }));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("DraftSearch", () => {
  it("searches once, 250 ms after the last keystroke", async () => {
    const { search, asked } = setup();
    for (const term of ["通", "通知", "通知公"]) {
      search.setTerm(term);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(asked).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS - 101);
    expect(asked).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked.map((a) => a.term)).toEqual(["通知公"]);
  });

  it("does not search for an empty or blank term, and turns the search off", async () => {
    const { search, asked, states, last } = setup();
    search.setTerm("   ");
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toHaveLength(0);
    expect(states).toEqual([]);
    expect(search.current).toEqual({ kind: "off" });

    search.setTerm("防汛");
    search.setTerm("");
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toHaveLength(0);
    expect(last()).toEqual({ kind: "off" });
  });

  it("trims the term and does not search again for the same term", async () => {
    const { search, asked } = setup();
    search.setTerm("  防汛 ");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    asked[0].resolve(hits("a"));
    await vi.advanceTimersByTimeAsync(0);
    search.setTerm("防汛  ");
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked.map((a) => a.term)).toEqual(["防汛"]);
    expect(search.current).toEqual({ kind: "found", term: "防汛", hits: hits("a") });
  });

  it("shows the answer for the current term", async () => {
    const { search, asked, states } = setup();
    search.setTerm("通知");
    expect(search.current).toEqual({ kind: "searching", term: "通知", hits: null });
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    asked[0].resolve(hits("a", "b"));
    await vi.advanceTimersByTimeAsync(0);
    expect(states.map((s) => s.kind)).toEqual(["searching", "found"]);
    expect(search.current).toEqual({ kind: "found", term: "通知", hits: hits("a", "b") });
  });

  it("drops an answer that arrives after the term changed", async () => {
    const { search, asked } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    search.setTerm("通知公告");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(asked.map((a) => a.term)).toEqual(["通知", "通知公告"]);

    // The newer answer comes first, the stale one after it: the stale one must not win.
    asked[1].resolve(hits("new"));
    await vi.advanceTimersByTimeAsync(0);
    asked[0].resolve(hits("old"));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toEqual({ kind: "found", term: "通知公告", hits: hits("new") });
  });

  it("drops an answer that arrives while the next term is still being typed", async () => {
    const { search, asked } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    search.setTerm("通知公");
    asked[0].resolve(hits("old"));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toEqual({ kind: "searching", term: "通知公", hits: null });
  });

  it("drops an answer that arrives after the box was emptied", async () => {
    const { search, asked } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    search.setTerm("");
    asked[0].resolve(hits("a"));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toEqual({ kind: "off" });
  });

  it("keeps the last hits on screen while the next term is searched", async () => {
    const { search, asked } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    asked[0].resolve(hits("a"));
    await vi.advanceTimersByTimeAsync(0);
    search.setTerm("通知公告");
    expect(search.current).toEqual({ kind: "searching", term: "通知公告", hits: hits("a") });
  });

  it("reports a failure of the current search, and not of a stale one", async () => {
    const { search, asked, errors } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    search.setTerm("公告");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    asked[0].reject({ code: "storage", detail: "old" });
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([]);
    expect(search.current.kind).toBe("searching");

    asked[1].reject({ code: "storage", detail: "disk" });
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toEqual([{ code: "storage", detail: "disk" }]);
    expect(search.current).toEqual({ kind: "failed", term: "公告" });
  });

  it("refreshes the current term at once and drops the answer already on its way", async () => {
    const { search, asked } = setup();
    search.refresh();
    expect(asked).toHaveLength(0);

    search.setTerm("通知");
    search.refresh(); // the debounce is still running: it will ask anyway
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    expect(asked).toHaveLength(1);

    search.refresh();
    expect(asked).toHaveLength(2);
    expect(search.current.kind).toBe("searching");
    asked[1].resolve(hits("fresh"));
    await vi.advanceTimersByTimeAsync(0);
    asked[0].resolve(hits("before the change"));
    await vi.advanceTimersByTimeAsync(0);
    expect(search.current).toEqual({ kind: "found", term: "通知", hits: hits("fresh") });
  });

  it("refreshes quietly: the hits stay as they are until the answer", async () => {
    const { search, asked, states } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    asked[0].resolve(hits("a"));
    await vi.advanceTimersByTimeAsync(0);
    search.refresh();
    expect(states.map((s) => s.kind)).toEqual(["searching", "found"]);
    asked[1].resolve(hits("a", "b"));
    await vi.advanceTimersByTimeAsync(0);
    expect(states.map((s) => s.kind)).toEqual(["searching", "found", "found"]);
    expect(search.current).toEqual({ kind: "found", term: "通知", hits: hits("a", "b") });
  });

  it("does nothing after it is disposed", async () => {
    const { search, asked, states } = setup();
    search.setTerm("通知");
    await vi.advanceTimersByTimeAsync(SEARCH_DEBOUNCE_MS);
    search.setTerm("公告");
    search.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    asked[0].resolve(hits("a"));
    await vi.advanceTimersByTimeAsync(0);
    search.setTerm("防汛");
    expect(asked).toHaveLength(1);
    expect(states.map((s) => s.kind)).toEqual(["searching", "searching"]);
  });
});

describe("snippetSegments", () => {
  it("drops empty parts and joins neighbours of the same kind", () => {
    expect(
      snippetSegments([
        { text: "…关于", hit: false },
        { text: "", hit: true },
        { text: "防汛", hit: true },
        { text: "值班", hit: true },
        { text: "的", hit: false },
        { text: "通知…", hit: false },
      ]),
    ).toEqual([
      { text: "…关于", hit: false },
      { text: "防汛值班", hit: true },
      { text: "的通知…", hit: false },
    ]);
  });

  it("keeps markup as text", () => {
    const parts = [{ text: "<b>", hit: true }];
    expect(snippetSegments(parts)).toEqual([{ text: "<b>", hit: true }]);
    expect(snippetSegments([])).toEqual([]);
  });

  it("does not change the parts it is given", () => {
    const parts = [
      { text: "a", hit: false },
      { text: "b", hit: false },
    ];
    snippetSegments(parts);
    expect(parts).toEqual([
      { text: "a", hit: false },
      { text: "b", hit: false },
    ]);
  });
});
