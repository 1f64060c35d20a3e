//! A spreadsheet cell's text as people type it, and what its words mean: 保障方式, 更新要求 and
//! 栏目级别 in the forms editorial offices write them, and the same words back for display.

use crate::column::{ColumnLevel, DutyRule, FeedMethod, GapUnit, Period};

/// A cell's text with its edges trimmed (ASCII and full-width spaces, NBSP, line breaks at the
/// ends), full-width digits and letters made half-width, tabs made spaces and inner runs of
/// spaces collapsed to one. Inner line breaks stay, so a one-line field can refuse them.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        let c = half_width(c);
        if c == ' ' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    // Line breaks at the ends (a cell typed with Alt+Enter at its end) go too.
    let trimmed = out.trim_matches(|c: char| c == '\n' || c == '\r' || c == ' ');
    trimmed.to_string()
}

/// One character made half-width where people do not mean a difference: full-width digits and
/// Latin letters, full-width and no-break spaces, tabs.
fn half_width(c: char) -> char {
    match c {
        '\u{3000}' | '\u{a0}' | '\u{2007}' | '\u{202f}' | '\t' => ' ',
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// Whether a normalised cell holds a line break inside.
pub fn has_line_break(text: &str) -> bool {
    text.contains(['\n', '\r', '\u{2028}', '\u{2029}'])
}

/// A column path as one form: full-width slashes made ASCII, spaces around the slashes dropped.
pub fn normalise_path(path: &str) -> String {
    path.replace(['／', '\\', '＼'], "/")
        .split('/')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("/")
}

/// The accepted words for each feed method, the canonical one first.
const FEEDS: &[(FeedMethod, &[&str])] = &[
    (FeedMethod::Submission, &["信息报送", "报送"]),
    (FeedMethod::Scraping, &["网上抓取", "抓取"]),
    (FeedMethod::Link, &["网站链接", "链接"]),
    (FeedMethod::CoEditing, &["栏目共建", "共建"]),
];

/// 保障方式 → [`FeedMethod`].
pub fn parse_feed(text: &str) -> Option<FeedMethod> {
    let text = without_spaces(text);
    FEEDS
        .iter()
        .find(|(_, words)| words.contains(&text.as_str()))
        .map(|(feed, _)| *feed)
}

/// The word a feed method is written with (信息报送 …).
pub fn feed_label(feed: FeedMethod) -> &'static str {
    FEEDS
        .iter()
        .find(|(f, _)| *f == feed)
        .map_or("", |(_, words)| words[0])
}

/// 栏目级别 → [`ColumnLevel`]: 一级 (一级栏目, 1) is first; 二级, 三级 … (2, 3 …) are second; an
/// empty cell is second.
pub fn parse_level(text: &str) -> Option<ColumnLevel> {
    let text = without_spaces(text);
    if text.is_empty() {
        return Some(ColumnLevel::Second);
    }
    let text = text.strip_suffix("栏目").unwrap_or(&text);
    let text = text.strip_suffix('级').unwrap_or(text);
    match number(text)? {
        0 => None,
        1 => Some(ColumnLevel::First),
        _ => Some(ColumnLevel::Second),
    }
}

/// The word a level is written with.
pub fn level_label(level: ColumnLevel) -> &'static str {
    match level {
        ColumnLevel::First => "一级栏目",
        ColumnLevel::Second => "二级栏目",
    }
}

/// 更新要求 → [`DutyRule`]. Accepts 每个工作日 (每工作日), 每日 (每天), 每周, 每两周, 每月, 每季度,
/// 每半年, 每年, 每N个工作日 / 天 / 周 / 月 / 年, and counts: 每周 / 月 / 季度 / 年 不少于 (至少) N 条.
/// A trailing 更新, 一次 or 更新一次 is allowed. Zero is refused. The standard rules come out as
/// themselves (每个工作日 is [`DutyRule::NEWS`], 每半年 is [`DutyRule::NOTICES`] …).
pub fn parse_duty(text: &str) -> Option<DutyRule> {
    let text = without_spaces(text);
    let rest = text.strip_prefix('每')?;
    if let Some(rule) = parse_count(rest) {
        return rule.is_valid().then_some(rule);
    }
    let mut rest = rest;
    for suffix in ["更新一次", "更新1次", "一次", "1次", "更新"] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
            break;
        }
    }
    let rule = match rest {
        "工作日" | "个工作日" => DutyRule::NEWS,
        "日" | "天" => gap(1, GapUnit::Days),
        "季度" | "季" | "个季度" => gap(3, GapUnit::Months),
        "半年" => DutyRule::NOTICES,
        _ => parse_gap(rest)?,
    };
    rule.is_valid().then_some(rule)
}

fn gap(amount: u32, unit: GapUnit) -> DutyRule {
    DutyRule::MaxGap { amount, unit }
}

/// "N个工作日", "N天", "两周", "6个月", "年" (N may be left out: 1).
fn parse_gap(rest: &str) -> Option<DutyRule> {
    const UNITS: &[(&str, GapUnit)] = &[
        ("个工作日", GapUnit::WorkingDays),
        ("工作日", GapUnit::WorkingDays),
        ("个星期", GapUnit::Weeks),
        ("星期", GapUnit::Weeks),
        ("个月", GapUnit::Months),
        ("周", GapUnit::Weeks),
        ("月", GapUnit::Months),
        ("年", GapUnit::Years),
        ("天", GapUnit::Days),
        ("日", GapUnit::Days),
    ];
    let (head, unit) = UNITS
        .iter()
        .find_map(|(word, unit)| rest.strip_suffix(word).map(|head| (head, *unit)))?;
    let amount = if head.is_empty() { 1 } else { number(head)? };
    Some(gap(amount, unit))
}

/// "月不少于4条", "周至少2条", "季度不少于10篇".
fn parse_count(rest: &str) -> Option<DutyRule> {
    const PERIODS: &[(&str, Period)] = &[
        ("个季度", Period::Quarter),
        ("季度", Period::Quarter),
        ("季", Period::Quarter),
        ("周", Period::Week),
        ("月", Period::Month),
        ("年", Period::Year),
    ];
    let (after, period) = PERIODS
        .iter()
        .find_map(|(word, period)| rest.strip_prefix(word).map(|after| (after, *period)))?;
    let after = after.strip_prefix("更新").unwrap_or(after);
    let after = ["不少于", "至少", "不低于", "最少"]
        .iter()
        .find_map(|w| after.strip_prefix(w))?;
    let count = ["条", "篇", "次", "期"]
        .iter()
        .find_map(|w| after.strip_suffix(w))
        .unwrap_or(after);
    Some(DutyRule::MinCount {
        count: number(count)?,
        period,
    })
}

/// The words a rule is written with; [`parse_duty`] reads them back to the same rule.
pub fn duty_label(rule: DutyRule) -> String {
    match rule {
        DutyRule::MaxGap { amount, unit } => match (amount, unit) {
            (1, GapUnit::WorkingDays) => "每个工作日".into(),
            (1, GapUnit::Days) => "每天".into(),
            (1, GapUnit::Weeks) => "每周".into(),
            (2, GapUnit::Weeks) => "每两周".into(),
            (1, GapUnit::Months) => "每月".into(),
            (3, GapUnit::Months) => "每季度".into(),
            (6, GapUnit::Months) => "每半年".into(),
            (1, GapUnit::Years) => "每年".into(),
            (n, GapUnit::WorkingDays) => format!("每{n}个工作日"),
            (n, GapUnit::Days) => format!("每{n}天"),
            (n, GapUnit::Weeks) => format!("每{n}周"),
            (n, GapUnit::Months) => format!("每{n}个月"),
            (n, GapUnit::Years) => format!("每{n}年"),
        },
        DutyRule::MinCount { count, period } => {
            let period = match period {
                Period::Week => "周",
                Period::Month => "月",
                Period::Quarter => "季度",
                Period::Year => "年",
            };
            format!("每{period}不少于{count}条")
        }
    }
}

fn without_spaces(text: &str) -> String {
    normalise(text).chars().filter(|c| *c != ' ').collect()
}

/// A count written in digits (4, 10) or in Chinese numerals up to 99 (四, 两, 十, 十五, 二十四).
fn number(text: &str) -> Option<u32> {
    if text.is_empty() {
        return None;
    }
    if text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok();
    }
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '零' | '〇' => 0,
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [d] => digit(*d),
        ['十', d] => Some(10 + digit(*d)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', d] => Some(digit(*t)? * 10 + digit(*d)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_trimmed_made_half_width_and_collapsed() {
        for (raw, want) in [
            ("\u{3000}市教育局\u{a0} ", "市教育局"),
            ("王  晓\u{3000}\u{3000}燕", "王 晓 燕"),
            ("１３８００１３８０００", "13800138000"),
            ("ＡＢｃ", "ABc"),
            ("\t教育动态\n", "教育动态"),
            ("第一行\n第二行", "第一行\n第二行"),
        ] {
            assert_eq!(normalise(raw), want, "{raw:?}");
        }
        assert!(has_line_break(&normalise("甲\n乙")));
        assert!(!has_line_break(&normalise("甲乙\n")));
        assert_eq!(
            normalise_path(" 政务公开 ／ 通知公告 "),
            "政务公开/通知公告"
        );
    }

    #[test]
    fn feed_methods_are_read_in_their_chinese_words() {
        for (text, feed) in [
            ("信息报送", FeedMethod::Submission),
            ("报送", FeedMethod::Submission),
            (" 网上抓取 ", FeedMethod::Scraping),
            ("抓取", FeedMethod::Scraping),
            ("网站链接", FeedMethod::Link),
            ("链接", FeedMethod::Link),
            ("栏目共建", FeedMethod::CoEditing),
            ("共建", FeedMethod::CoEditing),
        ] {
            assert_eq!(parse_feed(text), Some(feed), "{text}");
            assert_eq!(parse_feed(feed_label(feed)), Some(feed));
        }
        for text in ["网上采集", "", "submission", "报送抓取"] {
            assert_eq!(parse_feed(text), None, "{text}");
        }
    }

    #[test]
    fn duty_words_map_to_the_standard_rules_where_they_are_the_same() {
        let weeks2 = gap(2, GapUnit::Weeks);
        let quarter = gap(3, GapUnit::Months);
        for (text, rule) in [
            ("每个工作日", DutyRule::NEWS),
            ("每工作日", DutyRule::NEWS),
            ("每个工作日更新", DutyRule::NEWS),
            ("每日", gap(1, GapUnit::Days)),
            ("每天", gap(1, GapUnit::Days)),
            ("每周", DutyRule::HOME_PAGE),
            ("每周更新一次", DutyRule::HOME_PAGE),
            ("每两周", weeks2),
            ("每2周", weeks2),
            ("每２周", weeks2),
            ("每月", DutyRule::MONTHLY),
            ("每季度", quarter),
            ("每半年", DutyRule::NOTICES),
            ("每6个月", DutyRule::NOTICES),
            ("每六个月", DutyRule::NOTICES),
            ("每年", DutyRule::PERSONNEL),
            ("每3个工作日", gap(3, GapUnit::WorkingDays)),
            ("每10天", gap(10, GapUnit::Days)),
            ("每十五天", gap(15, GapUnit::Days)),
            ("每2个月", gap(2, GapUnit::Months)),
            ("每2年", gap(2, GapUnit::Years)),
        ] {
            assert_eq!(parse_duty(text), Some(rule), "{text}");
        }
    }

    #[test]
    fn duty_counts_are_read_and_zero_is_refused() {
        let count = |count, period| DutyRule::MinCount { count, period };
        for (text, rule) in [
            ("每月不少于4条", count(4, Period::Month)),
            ("每月至少4条", count(4, Period::Month)),
            ("每月更新不少于四条", count(4, Period::Month)),
            ("每周至少2条", count(2, Period::Week)),
            ("每季度不少于10条", count(10, Period::Quarter)),
            ("每年不少于12条", count(12, Period::Year)),
            ("每 月 不少于 ４ 条", count(4, Period::Month)),
        ] {
            assert_eq!(parse_duty(text), Some(rule), "{text}");
        }
        for text in [
            "每月不少于0条",
            "每0天",
            "每0个工作日",
            "每月不少于条",
            "经常",
            "",
            "月",
            "每",
            "每两三天",
            "每月不少于-1条",
        ] {
            assert_eq!(parse_duty(text), None, "{text}");
        }
    }

    #[test]
    fn every_duty_label_reads_back_as_its_rule() {
        let units = [
            GapUnit::WorkingDays,
            GapUnit::Days,
            GapUnit::Weeks,
            GapUnit::Months,
            GapUnit::Years,
        ];
        let periods = [Period::Week, Period::Month, Period::Quarter, Period::Year];
        for n in 1..=30 {
            for unit in units {
                let rule = gap(n, unit);
                assert_eq!(parse_duty(&duty_label(rule)), Some(rule), "{rule:?}");
            }
            for period in periods {
                let rule = DutyRule::MinCount { count: n, period };
                assert_eq!(parse_duty(&duty_label(rule)), Some(rule), "{rule:?}");
            }
        }
        assert_eq!(duty_label(DutyRule::NEWS), "每个工作日");
        assert_eq!(duty_label(DutyRule::NOTICES), "每半年");
    }

    #[test]
    fn levels_are_first_or_second_and_empty_is_second() {
        for (text, level) in [
            ("一级", Some(ColumnLevel::First)),
            ("一级栏目", Some(ColumnLevel::First)),
            ("1", Some(ColumnLevel::First)),
            ("１", Some(ColumnLevel::First)),
            ("二级", Some(ColumnLevel::Second)),
            ("二级栏目", Some(ColumnLevel::Second)),
            ("2", Some(ColumnLevel::Second)),
            ("三级", Some(ColumnLevel::Second)),
            ("3级栏目", Some(ColumnLevel::Second)),
            ("", Some(ColumnLevel::Second)),
            ("顶级", None),
            ("0", None),
        ] {
            assert_eq!(parse_level(text), level, "{text}");
        }
        for level in [ColumnLevel::First, ColumnLevel::Second] {
            assert_eq!(parse_level(level_label(level)), Some(level));
        }
    }
}
