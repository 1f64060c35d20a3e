//! The benchmark's table: each figure beside its floor, the ratio, the target, and whether it
//! was met.

use std::fmt::Write;

/// Several turns of one measurement: the median, and the spread.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(values: &[f64]) -> Stats {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let median = match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Stats {
            median,
            min: v.first().copied().unwrap_or(f64::NAN),
            max: v.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// "12.3 (11.0–13.5) unit", with `decimals` places.
    pub fn show(&self, decimals: usize, unit: &str) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$}) {unit}",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// What a figure must reach.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    /// Liaison / floor at most this (times, memory).
    RatioAtMost(f64),
    /// Liaison / floor at least this (throughput).
    RatioAtLeast(f64),
    /// An absolute bound on the figure, in its unit.
    Under(f64, &'static str),
    /// Both a ratio and an absolute bound.
    RatioAtMostAndUnder(f64, f64, &'static str),
    /// Shown for what it tells, with nothing to reach.
    Reported,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub figure: String,
    pub liaison: String,
    pub floor: String,
    /// Liaison's figure over the floor's, when there is a floor.
    pub ratio: Option<f64>,
    /// The figure the absolute bound applies to.
    pub value: f64,
    pub target: Target,
}

/// One side of a row: what was measured, shown to `decimals` places in `unit`.
pub struct Measured<'a> {
    pub stats: &'a Stats,
    pub decimals: usize,
    pub unit: &'a str,
}

impl Row {
    /// A row comparing the medians of two series measured in the same run: Liaison's against
    /// the floor named `floor_name`, in the same unit.
    pub fn medians(
        figure: impl Into<String>,
        liaison: Measured<'_>,
        floor_name: &str,
        floor: &Stats,
        target: Target,
    ) -> Row {
        Row {
            figure: figure.into(),
            liaison: liaison.stats.show(liaison.decimals, liaison.unit),
            floor: format!(
                "{floor_name}: {}",
                floor.show(liaison.decimals, liaison.unit)
            ),
            ratio: Some(liaison.stats.median / floor.median),
            value: liaison.stats.median,
            target,
        }
    }

    pub fn met(&self) -> bool {
        match (self.target, self.ratio) {
            (Target::RatioAtMost(t), Some(r)) => r <= t,
            (Target::RatioAtLeast(t), Some(r)) => r >= t,
            (Target::Under(limit, _), _) => self.value < limit,
            (Target::RatioAtMostAndUnder(t, limit, _), Some(r)) => r <= t && self.value < limit,
            (Target::Reported, _) => true,
            _ => false,
        }
    }

    fn target_text(&self) -> String {
        match self.target {
            Target::RatioAtMost(t) => format!("≤ {t:.2}×"),
            Target::RatioAtLeast(t) => format!("≥ {t:.2}×"),
            Target::Under(limit, unit) => format!("< {limit} {unit}"),
            Target::RatioAtMostAndUnder(t, limit, unit) => {
                format!("≤ {t:.2}× and < {limit} {unit}")
            }
            Target::Reported => "—".to_owned(),
        }
    }
}

/// The rows as a Markdown table (what BENCHMARKS.md holds).
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| figure | Liaison | floor | ratio | target | met |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            r.figure,
            r.liaison,
            r.floor,
            r.ratio.map_or("—".to_owned(), |x| format!("**{x:.2}**")),
            r.target_text(),
            match (r.target, r.met()) {
                (Target::Reported, _) => "—",
                (_, true) => "yes",
                (_, false) => "**no**",
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let s = Stats::of(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert_eq!(Stats::of(&[5.0, 1.0, 9.0]).median, 5.0);
    }

    #[test]
    fn a_row_meets_its_target_only_on_the_right_side() {
        let row = |ratio, value, target| Row {
            figure: String::new(),
            liaison: String::new(),
            floor: String::new(),
            ratio,
            value,
            target,
        };
        assert!(row(Some(1.2), 0.0, Target::RatioAtMost(1.3)).met());
        assert!(!row(Some(1.4), 0.0, Target::RatioAtMost(1.3)).met());
        assert!(row(Some(0.7), 0.0, Target::RatioAtLeast(0.6)).met());
        assert!(!row(Some(0.5), 0.0, Target::RatioAtLeast(0.6)).met());
        assert!(!row(None, 0.0, Target::RatioAtLeast(0.6)).met());
        assert!(row(None, 99.0, Target::Under(100.0, "ms")).met());
        // A reported row is never a missed target, and its table line says it has none.
        let reported = row(Some(9.0), 9.0, Target::Reported);
        assert!(reported.met());
        assert!(markdown(&[reported]).ends_with("| **9.00** | — | — |\n"));
        assert!(
            !row(
                Some(1.0),
                60.0,
                Target::RatioAtMostAndUnder(1.5, 50.0, "ms")
            )
            .met()
        );
    }
}
