import { describe, expect, it } from "vitest";

import { DRAFT_PAGE, showMore, visibleDrafts } from "../draftWindow";

const drafts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `d${i}` }));
const ids = (rows: Array<{ id: string }>) => rows.map((d) => d.id);

describe("visibleDrafts", () => {
  it("shows only the first page of a long list", () => {
    const all = drafts(10_000);
    const w = visibleDrafts(all, DRAFT_PAGE, null);
    expect(DRAFT_PAGE).toBe(200);
    expect(w.rows).toHaveLength(200);
    expect(w.rows[0].id).toBe("d0");
    expect(w.rows[199].id).toBe("d199");
    expect(w.hidden).toBe(9_800);
  });

  it("shows everything when the list is short", () => {
    const w = visibleDrafts(drafts(3), DRAFT_PAGE, "d1");
    expect(ids(w.rows)).toEqual(["d0", "d1", "d2"]);
    expect(w.hidden).toBe(0);
  });

  it("adds the selected draft after the shown rows when it lies further down", () => {
    const all = drafts(1_000);
    const w = visibleDrafts(all, 200, "d750");
    expect(w.rows).toHaveLength(201);
    expect(ids(w.rows.slice(0, 2))).toEqual(["d0", "d1"]);
    expect(w.rows[200].id).toBe("d750");
    expect(w.hidden).toBe(799);
  });

  it("does not repeat a selected draft that is already shown", () => {
    const w = visibleDrafts(drafts(1_000), 200, "d199");
    expect(w.rows).toHaveLength(200);
    expect(w.rows.filter((d) => d.id === "d199")).toHaveLength(1);
    expect(w.hidden).toBe(800);
  });

  it("ignores a selected draft that is not in the list", () => {
    const w = visibleDrafts(drafts(300), 200, "gone");
    expect(w.rows).toHaveLength(200);
    expect(w.hidden).toBe(100);
  });

  it("does not change the list it is given", () => {
    const all = drafts(300);
    visibleDrafts(all, 200, "d250");
    expect(all).toHaveLength(300);
    expect(all[200].id).toBe("d200");
  });
});

describe("showMore", () => {
  it("adds a page at a time, not beyond the list", () => {
    expect(showMore(200, 10_000)).toBe(400);
    expect(showMore(400, 10_000)).toBe(600);
    expect(showMore(200, 250)).toBe(250);
    expect(showMore(200, 50)).toBe(200);
  });
});
