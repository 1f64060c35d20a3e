import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const painted = vi.fn<(what: "drafts" | "sign_in") => Promise<void>>();
vi.mock("../api/desk", () => ({ painted: (what: "drafts" | "sign_in") => painted(what) }));

// Frames run only when the test says so.
let frames: Array<() => void> = [];
async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
async function drawFrame() {
  const due = frames;
  frames = [];
  for (const cb of due) cb();
  // Let the awaits after the callbacks run.
  await settle();
}

/** A fresh copy of the module: its flag lives as long as one page load. */
async function freshPageLoad() {
  vi.resetModules();
  return (await import("../firstPaint")).reportFirstPaint;
}

beforeEach(() => {
  frames = [];
  painted.mockReset();
  painted.mockResolvedValue(undefined);
  vi.stubGlobal("requestAnimationFrame", (cb: () => void) => {
    frames.push(cb);
    return frames.length;
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("reportFirstPaint", () => {
  it("tells the desk only after two frames", async () => {
    const reportFirstPaint = await freshPageLoad();
    const done = reportFirstPaint("drafts");
    await settle();
    expect(frames).toHaveLength(1); // after Vue's next tick, waiting for a frame
    await drawFrame();
    expect(painted).not.toHaveBeenCalled();
    await drawFrame();
    expect(painted).toHaveBeenCalledTimes(1);
    expect(painted).toHaveBeenCalledWith("drafts");
    await expect(done).resolves.toBe(true);
  });

  it("reports once per page load, whatever asks afterwards", async () => {
    const reportFirstPaint = await freshPageLoad();
    const first = reportFirstPaint("sign_in");
    const second = reportFirstPaint("drafts");
    for (let i = 0; i < 4; i++) await drawFrame();
    await expect(first).resolves.toBe(true);
    await expect(second).resolves.toBe(false);
    await expect(reportFirstPaint("drafts")).resolves.toBe(false);
    for (let i = 0; i < 4; i++) await drawFrame();
    expect(painted).toHaveBeenCalledTimes(1);
    expect(painted).toHaveBeenCalledWith("sign_in");
  });

  it("reports again in a new page load", async () => {
    let report = await freshPageLoad();
    const a = report("drafts");
    for (let i = 0; i < 3; i++) await drawFrame();
    await a;
    report = await freshPageLoad();
    const b = report("sign_in");
    for (let i = 0; i < 3; i++) await drawFrame();
    await b;
    expect(painted.mock.calls).toEqual([["drafts"], ["sign_in"]]);
  });

  it("only warns when the desk cannot be told, and does not try again", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    painted.mockRejectedValue({ code: "internal", detail: "no runtime" });
    const reportFirstPaint = await freshPageLoad();
    const first = reportFirstPaint("drafts");
    for (let i = 0; i < 3; i++) await drawFrame();
    await expect(first).resolves.toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);

    const again = reportFirstPaint("drafts");
    for (let i = 0; i < 3; i++) await drawFrame();
    await expect(again).resolves.toBe(false);
    expect(painted).toHaveBeenCalledTimes(1);
  });
});
