import { describe, expect, it } from "vitest";

import type { NoticeFacts } from "../bindings/NoticeFacts";
import type { NoticeView } from "../bindings/NoticeView";
import type { Translate } from "../duty";
import { makeI18n, type Locale } from "../i18n";
import { noticeSentence, noticeTarget, noticeText, unreadCount, withRead } from "../notices";

function translator(locale: Locale): Translate {
  const { t } = makeI18n(locale).global;
  return (key, named) => t(key, named);
}

const zh = translator("zh-CN");
const en = translator("en");

const noFacts: NoticeFacts = {
  column_name: null,
  due_at: null,
  overdue_days: null,
  working_days: null,
  message: null,
  urged_by: null,
  title: null,
  review_state: null,
  review_comment: null,
  by: null,
  item_id: null,
  commission: null,
};

type NoticeOver = Partial<Omit<NoticeView, "facts">> & { facts?: Partial<NoticeFacts> };

function notice(over: NoticeOver = {}): NoticeView {
  const { facts, ...rest } = over;
  return {
    id: 1,
    kind: "overdue",
    column_id: 7,
    draft_id: null,
    created_at: "2026-11-30T01:00:00.000Z",
    read: false,
    ...rest,
    facts: { ...noFacts, ...facts },
  };
}

describe("noticeSentence", () => {
  it("reads duty notices by their kind", () => {
    for (const kind of ["due_soon", "overdue", "still_overdue", "urged"] as const) {
      expect(noticeSentence(notice({ kind }))).toBe(kind);
    }
  });

  it("reads a review by its outcome, returned unless accepted or rejected", () => {
    expect(noticeSentence(notice({ kind: "reviewed", facts: { review_state: "accepted" } }))).toBe(
      "reviewed_accepted",
    );
    expect(noticeSentence(notice({ kind: "reviewed", facts: { review_state: "rejected" } }))).toBe(
      "reviewed_rejected",
    );
    expect(noticeSentence(notice({ kind: "reviewed", facts: { review_state: "returned" } }))).toBe(
      "reviewed_returned",
    );
    expect(noticeSentence(notice({ kind: "reviewed" }))).toBe("reviewed_returned");
  });
});

describe("noticeText", () => {
  it("words an overdue column as the desktop notification does", () => {
    const n = notice({ facts: { column_name: "教育动态", overdue_days: 2, working_days: true } });
    expect(noticeText(n, "zh-CN", zh)).toEqual({
      title: "栏目已超期",
      body: "「教育动态」已超期2个工作日，请尽快报送",
    });
    const calendar = notice({ facts: { column_name: "教育动态", overdue_days: 9, working_days: false } });
    expect(noticeText(calendar, "en", en).body).toContain("9 day(s)");
  });

  it("gives the last day to update on for a column due soon", () => {
    const n = notice({
      kind: "due_soon",
      facts: { column_name: "通知公告", due_at: "2026-11-30T16:00:00Z", working_days: true },
    });
    expect(noticeText(n, "zh-CN", zh)).toEqual({
      title: "栏目即将到期",
      body: "「通知公告」需在11月30日前有新稿件采用",
    });
    expect(noticeText(n, "en", en).body).toBe("“通知公告” needs an accepted item before 2026-11-30");
  });

  it("words a commissioned request as it is posted, extended and withdrawn", () => {
    const facts = { title: "冬季安全生产专题", due_at: "2026-12-03T16:00:00Z" };
    const posted = notice({ kind: "commissioned", column_id: null, facts: { ...facts, commission: "posted" } });
    expect(noticeText(posted, "zh-CN", zh)).toEqual({
      title: "编辑部约稿",
      body: "《冬季安全生产专题》，请于12月3日前报送",
    });
    const extended = notice({ kind: "commissioned", facts: { ...facts, commission: "extended" } });
    expect(noticeText(extended, "zh-CN", zh).title).toBe("约稿已延期");
    const withdrawn = notice({ kind: "commissioned", facts: { ...facts, commission: "withdrawn" } });
    expect(noticeText(withdrawn, "en", en)).toEqual({
      title: "Request withdrawn",
      body: "“冬季安全生产专题” was withdrawn; nothing more is needed",
    });
    expect(noticeTarget({ ...posted, draft_id: null, column_id: null })).toBeNull();
  });

  it("words urging and reviews", () => {
    const urged = notice({
      kind: "urged",
      facts: { column_name: "教育动态", message: "本周请至少报送一条", urged_by: "王编辑" },
    });
    expect(noticeText(urged, "zh-CN", zh)).toEqual({
      title: "编辑部催报",
      body: "「教育动态」：本周请至少报送一条（王编辑）",
    });
    const returned = notice({
      kind: "reviewed",
      column_id: null,
      draft_id: "d1",
      facts: { title: "秋季招生通知", review_state: "returned", review_comment: "请补充附件" },
    });
    expect(noticeText(returned, "zh-CN", zh)).toEqual({
      title: "稿件被退回",
      body: "《秋季招生通知》被退回：请补充附件",
    });
    const accepted = notice({ kind: "reviewed", facts: { title: "秋季招生通知", review_state: "accepted" } });
    expect(noticeText(accepted, "zh-CN", zh).body).toBe("《秋季招生通知》已被编辑部采用");
    expect(noticeText(accepted, "en", en).title).toBe("Item accepted");
  });

  it("words a sign-off request, a sign-off and a comment with who did it", () => {
    const requested = notice({
      kind: "signoff_requested",
      column_id: null,
      facts: { title: "秋季招生通知", by: "张晓明", item_id: 41 },
    });
    expect(noticeSentence(requested)).toBe("signoff_requested");
    expect(noticeText(requested, "zh-CN", zh)).toEqual({
      title: "有稿件待签发",
      body: "张晓明报送的《秋季招生通知》等待您签发",
    });
    expect(noticeText(requested, "en", en).body).toBe("“秋季招生通知” from 张晓明 waits for your sign-off");

    const signedOff = notice({
      kind: "reviewed",
      draft_id: "d1",
      facts: { title: "秋季招生通知", review_state: "delivered", by: "李建国", item_id: 41 },
    });
    expect(noticeSentence(signedOff)).toBe("signed_off");
    expect(noticeText(signedOff, "zh-CN", zh).body).toContain("《秋季招生通知》已由李建国签发");

    const commented = notice({
      kind: "commented",
      draft_id: "d1",
      facts: { title: "秋季招生通知", message: "第二段的日期请核对", by: "王编辑", item_id: 41 },
    });
    expect(noticeSentence(commented)).toBe("commented");
    expect(noticeText(commented, "zh-CN", zh).body).toContain("王编辑：第二段的日期请核对");
    expect(noticeText(commented, "en", en).body).toContain("王编辑: 第二段的日期请核对");
  });

  it("prefers the urging editor's name, else who decided", () => {
    const both = notice({ kind: "urged", facts: { column_name: "教育动态", message: "请报送", urged_by: "王编辑", by: "别人" } });
    expect(noticeText(both, "zh-CN", zh).body).toBe("「教育动态」：请报送（王编辑）");
  });

  it("never shows a raw key or placeholder", () => {
    const kinds = [
      "due_soon",
      "overdue",
      "still_overdue",
      "urged",
      "reviewed",
      "signoff_requested",
      "commented",
    ] as const;
    for (const kind of kinds) {
      for (const t of [zh, en]) {
        const { title, body } = noticeText(notice({ kind }), "zh-CN", t);
        expect(title).not.toMatch(/notify\.|\{/);
        expect(body).not.toMatch(/notify\.|\{/);
      }
    }
  });
});

describe("unreadCount and withRead", () => {
  const list = [notice({ id: 3 }), notice({ id: 2, read: true }), notice({ id: 1 })];

  it("counts unread notices", () => {
    expect(unreadCount(list)).toBe(2);
    expect(unreadCount([])).toBe(0);
  });

  it("marks one notice or all of them read", () => {
    expect(withRead(list, 1).map((n) => n.read)).toEqual([false, true, true]);
    expect(unreadCount(withRead(list, null))).toBe(0);
    expect(withRead(list, 99).map((n) => n.read)).toEqual([false, true, false]);
    // The input stays as it was.
    expect(unreadCount(list)).toBe(2);
  });
});

describe("noticeTarget", () => {
  it("opens the draft first, else the column, else nothing", () => {
    expect(noticeTarget(notice({ draft_id: "d1", column_id: 7 }))).toEqual({ kind: "draft", draftId: "d1" });
    expect(noticeTarget(notice({ column_id: 7 }))).toEqual({ kind: "column", columnId: 7 });
    expect(noticeTarget(notice({ column_id: 0 }))).toEqual({ kind: "column", columnId: 0 });
    expect(noticeTarget(notice({ column_id: null }))).toBeNull();
  });

  it("opens the sign-off view for a sign-off request, on its item", () => {
    const requested = notice({ kind: "signoff_requested", column_id: null, facts: { item_id: 41 } });
    expect(noticeTarget(requested)).toEqual({ kind: "signoff", itemId: 41 });
    expect(noticeTarget(notice({ kind: "signoff_requested", column_id: 7 }))).toEqual({
      kind: "signoff",
      itemId: null,
    });
    // A comment or a sign-off result opens the draft it is about.
    const commented = notice({ kind: "commented", draft_id: "d1", column_id: null, facts: { item_id: 41 } });
    expect(noticeTarget(commented)).toEqual({ kind: "draft", draftId: "d1" });
  });
});
