import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { Autosaver, type SaveStatus } from "../autosave";

type Saved = { at: number; value: string };

function setup(opts: { fail?: (attempt: number) => boolean; saveMs?: number } = {}) {
  let content = "";
  const saves: Saved[] = [];
  const attempts: Saved[] = [];
  const statuses: SaveStatus["kind"][] = [];
  const t0 = Date.now();
  const saver = new Autosaver<string>({
    read: () => content,
    save: (value) => {
      const attempt = attempts.length;
      attempts.push({ at: Date.now() - t0, value });
      return new Promise<void>((resolve, reject) => {
        const finish = () => {
          if (opts.fail?.(attempt)) reject({ code: "storage", detail: "disk full" });
          else {
            saves.push({ at: Date.now() - t0, value });
            resolve();
          }
        };
        // Without saveMs the save settles at once (no timer to advance).
        if (opts.saveMs) setTimeout(finish, opts.saveMs);
        else finish();
      });
    },
    onStatus: (s) => statuses.push(s.kind),
  });
  const type = (ch: string) => {
    content += ch;
    saver.markChanged();
  };
  return { saver, saves, attempts, statuses, type, content: () => content, elapsed: () => Date.now() - t0 };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("Autosaver", () => {
  it("saves within 400 ms of the first change while the user keeps typing", async () => {
    const { saver, attempts, type, elapsed } = setup();
    const typedAt: number[] = [];
    // One keystroke every 50 ms for 3 s: a pure debounce would never save.
    for (let i = 0; i < 60; i++) {
      typedAt.push(elapsed());
      type("x");
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(400); // let the last throttle window close
    expect(attempts.length).toBeGreaterThanOrEqual(6);
    expect(attempts[0].at).toBeLessThanOrEqual(400);
    // Every keystroke is inside a save that started at most 400 ms later.
    typedAt.forEach((t, i) => {
      const covering = attempts.find((a) => a.value.length >= i + 1);
      expect(covering, `keystroke ${i}`).toBeDefined();
      expect(covering!.at - t, `keystroke ${i}`).toBeLessThanOrEqual(400);
    });
    await saver.flush();
    saver.dispose();
  });

  it("keeps the throttle while a slow save is in flight", async () => {
    const { saver, saves, type, elapsed } = setup({ saveMs: 300 });
    const typedAt: number[] = [];
    for (let i = 0; i < 40; i++) {
      typedAt.push(elapsed());
      type("y");
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(1000);
    typedAt.forEach((t, i) => {
      const covering = saves.find((s) => s.value.length >= i + 1);
      expect(covering, `keystroke ${i}`).toBeDefined();
      // Older than one second is never unsaved: 400 ms wait + one 300 ms save
      // in flight + this save's own 300 ms.
      expect(covering!.at - t, `keystroke ${i}`).toBeLessThanOrEqual(1000);
    });
    expect(saves[saves.length - 1].value).toBe("y".repeat(40));
    saver.dispose();
  });

  it("does not save when nothing changed", async () => {
    const { saver, attempts } = setup();
    await vi.advanceTimersByTimeAsync(5000);
    expect(attempts).toHaveLength(0);
    expect(await saver.flush()).toBe(true);
    expect(attempts).toHaveLength(0);
  });

  it("retries a failed save and keeps the content, including what was typed meanwhile", async () => {
    const { saver, attempts, saves, statuses, type, content } = setup({
      fail: (attempt) => attempt < 2,
    });
    type("a");
    type("b");
    await vi.advanceTimersByTimeAsync(400);
    expect(attempts).toHaveLength(1);
    expect(saver.status.kind).toBe("failed");
    expect(saver.hasUnsavedChanges).toBe(true);
    expect(content()).toBe("ab");

    type("c"); // typing after a failure is not lost
    await vi.advanceTimersByTimeAsync(1000); // first retry (fails again)
    expect(attempts).toHaveLength(2);
    expect(attempts[1].value).toBe("abc");
    expect(saver.status.kind).toBe("failed");

    await vi.advanceTimersByTimeAsync(2000); // second retry succeeds
    expect(saves).toHaveLength(1);
    expect(saves[0].value).toBe("abc");
    expect(saver.status.kind).toBe("saved");
    expect(saver.hasUnsavedChanges).toBe(false);
    expect(statuses).toContain("failed");

    // Back to the normal 400 ms rhythm after success.
    type("d");
    await vi.advanceTimersByTimeAsync(400);
    expect(saves[saves.length - 1].value).toBe("abcd");
    saver.dispose();
  });

  it("flush saves at once and reports failure without dropping the change", async () => {
    let fail = true;
    const { saver, attempts, saves, type } = setup({ fail: () => fail });
    type("q");
    expect(await saver.flush()).toBe(false);
    expect(attempts).toHaveLength(1);
    expect(saver.hasUnsavedChanges).toBe(true);
    fail = false;
    expect(await saver.flush()).toBe(true);
    expect(saves.map((s) => s.value)).toEqual(["q"]);
    saver.dispose();
  });

  it("stops retrying a non-retryable error until the next change", async () => {
    let content = "";
    let calls = 0;
    const saver = new Autosaver<string>({
      read: () => content,
      save: async () => {
        calls += 1;
        throw { code: "invalid_state", detail: "sent" };
      },
      isRetryable: () => false,
    });
    content = "z";
    saver.markChanged();
    await vi.advanceTimersByTimeAsync(400);
    expect(calls).toBe(1);
    expect(saver.status).toMatchObject({ kind: "failed", willRetry: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(1);
    content = "zz";
    saver.markChanged();
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toBe(2);
    saver.dispose();
  });

  it("does nothing after dispose", async () => {
    const { saver, attempts, type } = setup();
    saver.dispose();
    type("x");
    await vi.advanceTimersByTimeAsync(5000);
    expect(attempts).toHaveLength(0);
  });
});
