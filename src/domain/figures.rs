//! The report's figures (DESIGN.md "Figures"), as pure functions over counts
//! and summed durations that the database aggregates.
//!
//! Rates are percentages rounded half-up to two decimals, computed in integer
//! arithmetic so that 98.915 never becomes 98.91 through binary floating
//! point; a rate over zero cases is `None` (null), never 0 or NaN.

use chrono::{Months, NaiveDate};
use serde::{Serialize, Serializer};

use super::case::CaseFacts;
use super::lifecycle::CaseState;
use super::rating::Rating;
use super::time;

/// Seconds in a day of 24 hours.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// A value with two decimals, held as hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hundredths(pub i64);

impl Hundredths {
    /// `numerator / denominator`, in hundredths, rounded half away from zero;
    /// `None` when the denominator is zero.
    pub fn ratio(numerator: i128, denominator: i128) -> Option<Hundredths> {
        if denominator == 0 {
            return None;
        }
        let (n, d) = if denominator < 0 { (-numerator, -denominator) } else { (numerator, denominator) };
        let scaled = n * 100;
        let rounded = if scaled >= 0 { (2 * scaled + d) / (2 * d) } else { -((-2 * scaled + d) / (2 * d)) };
        Some(Hundredths(rounded as i64))
    }

    /// The value as a float, for JSON.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// For report text: at most two decimals, trailing zeros dropped (99.40 → 99.4, 100.00 → 100).
    pub fn text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 100, abs % 100);
        match frac {
            0 => format!("{sign}{whole}"),
            f if f % 10 == 0 => format!("{sign}{whole}.{}", f / 10),
            f => format!("{sign}{whole}.{f:02}"),
        }
    }
}

impl Serialize for Hundredths {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

/// Calls `$then!` with every measure the rollups sum per (day or month,
/// channel, department): its name as a `Measure` variant, as a `Counts`
/// field and as a rollup column, and its doc. This is the one list of the
/// measures; `Counts`, `Measure`, the rollup row type and the SQL that sums
/// and recounts them are all made from it (adding a measure also needs its
/// column in a migration, which `tests/api/migrations.rs` checks).
#[macro_export]
macro_rules! with_measures {
    ($then:ident) => {
        $then! {
            (Received, received, "Received in the period, not invalid."),
            (Closed, closed, "Of those, closed as of the reference time."),
            (ClosedOnTime, closed_on_time, "Closed no later than their due time."),
            (HandlingSeconds, handling_seconds, "Sum over closed cases of closed_at − received_at, in seconds."),
            (HandlingWorkdays, handling_workdays, "Sum over closed cases of the working days from receipt to closure."),
            (Rated, rated, "Closed cases with a rating in force."),
            (Satisfied, satisfied, "Of those, rated 满意 (or 非常满意, which counts as 满意)."),
            (BasicallySatisfied, basically_satisfied, "Rated 基本满意."),
            (Unsatisfied, unsatisfied, "Rated 不满意 (or 非常不满意, which counts as 不满意)."),
            (ResultRated, result_rated, "Closed cases with a result rating (two-dimension channels)."),
            (ResultSatisfied, result_satisfied, "Result rated 满意."),
            (ResultBasicallySatisfied, result_basically_satisfied, "Result rated 基本满意."),
            (ResultUnsatisfied, result_unsatisfied, "Result rated 不满意."),
            (ReopenedClosed, reopened_closed, "Closed cases that were reopened at least once."),
            (VerySatisfied, very_satisfied, "Of the satisfied, rated 非常满意 (five-level channels)."),
            (VeryUnsatisfied, very_unsatisfied, "Of the unsatisfied, rated 非常不满意 (five-level channels)."),
            (CallbacksNeeded, callbacks_needed, "Closed cases whose 回访 is not `not_needed` (回访率's denominator)."),
            (CallbacksMade, callbacks_made, "Of those, done or unreachable (回访率's numerator)."),
            (ResolvedAnswered, resolved_answered, "Closed cases whose rating in force says 是否解决."),
            (ResolvedYes, resolved_yes, "Of those, resolved."),
            (RatingsExcluded, ratings_excluded, "Closed cases whose rating in force is 核减 (out of every rating measure above)."),
            (Assignments, assignments, "Assignments of cases received in the period, under the department assigned (按时签收率's and 退单率's denominator); summed from the assignments, not the case."),
            (AcceptedOnTime, accepted_on_time, "Of those, signed for by their accept_due_at (按时签收率's numerator)."),
            (Returns, returns, "Of those, handed back by the department (退单率's numerator)."),
            (Merged, merged, "并单: cases merged into another one; not received, like invalid ones."),
        }
    };
}

macro_rules! define_counts {
    ($(($variant:ident, $field:ident, $doc:literal)),* $(,)?) => {
        /// Sums over a set of cases, as the database aggregates them.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct Counts {
            $(#[doc = $doc] pub $field: i64,)*
            /// Open, running cases past their due time (counted live, not summed in the rollups).
            pub overdue_open: i64,
        }

        /// One summed measure of [`Counts`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Measure {
            $(#[doc = $doc] $variant,)*
        }

        impl Measure {
            /// Every measure, in the order of [`Counts`].
            pub const ALL: &'static [Measure] = &[$(Measure::$variant),*];

            /// Its name: the field of [`Counts`] and the rollup column.
            pub fn name(self) -> &'static str {
                match self {
                    $(Measure::$variant => stringify!($field),)*
                }
            }

            /// Its value in `counts`.
            pub fn of(self, counts: &Counts) -> i64 {
                match self {
                    $(Measure::$variant => counts.$field,)*
                }
            }

            /// A mutable reference to its value in `counts`.
            pub fn of_mut(self, counts: &mut Counts) -> &mut i64 {
                match self {
                    $(Measure::$variant => &mut counts.$field,)*
                }
            }
        }

        impl std::ops::AddAssign for Counts {
            fn add_assign(&mut self, o: Counts) {
                $(self.$field += o.$field;)*
                self.overdue_open += o.overdue_open;
            }
        }

        impl std::ops::Neg for Counts {
            type Output = Counts;

            fn neg(self) -> Counts {
                Counts { $($field: -self.$field,)* overdue_open: -self.overdue_open }
            }
        }
    };
}

with_measures!(define_counts);

/// Where a case's contribution is summed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    /// Day of receipt in Beijing.
    pub day: NaiveDate,
    /// Channel code.
    pub channel: String,
    /// Department id, 0 for none.
    pub department: i64,
}

/// The measures summed from the assignments rather than from the case row.
pub const ASSIGNMENT_MEASURES: [Measure; 3] =
    [Measure::Assignments, Measure::AcceptedOnTime, Measure::Returns];

/// What one case adds to the sums: nothing if it is invalid, only `merged`
/// if it is merged. A case counts where and when it was received; only a
/// closed case counts as closed, rated and timed, with the rating in force.
pub fn contribution(case: &CaseFacts<'_>) -> Option<(RollupKey, Counts)> {
    if case.state == CaseState::Invalid {
        return None;
    }
    let key = RollupKey {
        day: time::office_date(case.received_at),
        channel: case.channel.to_owned(),
        department: case.department_id.map_or(0, |d| d.0),
    };
    if case.state == CaseState::Merged {
        return Some((key, Counts { merged: 1, ..Counts::default() }));
    }
    let closed = case.state == CaseState::Closed;
    let flag = |b: bool| i64::from(b);
    // A rating 核减 on appeal counts in no rating measure, only as excluded.
    let excluded = closed && case.rating.is_some() && case.rating_excluded;
    let counts_ratings = closed && !excluded;
    let rating = if counts_ratings { case.rating } else { None };
    let counted = rating.map(Rating::counted_as);
    let result = if counts_ratings { case.result_rating.map(Rating::counted_as) } else { None };
    let counts = Counts {
        received: 1,
        closed: flag(closed),
        closed_on_time: flag(closed && matches!((case.closed_at, case.due_at), (Some(c), Some(d)) if c <= d)),
        handling_seconds: if closed { case.handling_seconds.unwrap_or(0) } else { 0 },
        handling_workdays: if closed { i64::from(case.handling_workdays.unwrap_or(0)) } else { 0 },
        rated: flag(rating.is_some()),
        satisfied: flag(counted == Some(Rating::Satisfied)),
        basically_satisfied: flag(counted == Some(Rating::BasicallySatisfied)),
        unsatisfied: flag(counted == Some(Rating::Unsatisfied)),
        result_rated: flag(result.is_some()),
        result_satisfied: flag(result == Some(Rating::Satisfied)),
        result_basically_satisfied: flag(result == Some(Rating::BasicallySatisfied)),
        result_unsatisfied: flag(result == Some(Rating::Unsatisfied)),
        reopened_closed: flag(closed && case.reopen_count > 0),
        very_satisfied: flag(rating == Some(Rating::VerySatisfied)),
        very_unsatisfied: flag(rating == Some(Rating::VeryUnsatisfied)),
        callbacks_needed: flag(closed && case.callback.is_some_and(|c| c.state.is_needed())),
        callbacks_made: flag(closed && case.callback.is_some_and(|c| c.state.is_made())),
        resolved_answered: flag(rating.is_some() && case.resolved.is_some()),
        resolved_yes: flag(rating.is_some() && case.resolved == Some(true)),
        ratings_excluded: flag(excluded),
        // A department's assignments are its own, whichever department the
        // case is with now: `db::assignments` sums them under their key.
        assignments: 0,
        accepted_on_time: 0,
        returns: 0,
        merged: 0,
        overdue_open: 0,
    };
    Some((key, counts))
}

/// Which cases a figure counts: a period of Beijing days and, optionally,
/// one channel and one department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// First day (Beijing), inclusive.
    pub from: NaiveDate,
    /// Last day, exclusive.
    pub to: NaiveDate,
    /// One channel.
    pub channel: Option<String>,
    /// One department (0: cases not yet assigned).
    pub department: Option<i64>,
}

impl Scope {
    /// The same scope a year earlier (Feb 29 falls back to Feb 28).
    pub fn year_earlier(&self) -> Scope {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        Scope { from: back(self.from), to: back(self.to), ..self.clone() }
    }
}

/// How figures are broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// One total.
    Total,
    /// Per channel (code).
    Channel,
    /// Per department (id as text; `0` for unassigned).
    Department,
    /// Per month of receipt (`YYYY-MM`).
    Month,
}

/// A weight of the composite satisfaction, held in ten-thousandths (0.8 → 8000).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight(pub i64);

impl Weight {
    /// Parses `1`, `0.8`, `0.75` (up to four decimals, 0 to 1).
    pub fn parse(s: &str) -> Option<Weight> {
        let s = s.trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || frac.len() > 4
            || !whole.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let value = whole.parse::<i64>().ok()? * 10_000 + format!("{frac:0<4}").parse::<i64>().ok()?;
        (0..=10_000).contains(&value).then_some(Weight(value))
    }

    /// For the printed definition.
    pub fn text(self) -> String {
        let whole = self.0 / 10_000;
        let frac = format!("{:04}", self.0 % 10_000);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{frac}")
        }
    }
}

/// The definition of the satisfaction figures in force: no national formula
/// exists, so it is a setting and is printed with every report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// Ratings that count as satisfied in the satisfaction rate.
    pub satisfied_ratings: Vec<Rating>,
    /// Composite weights of 满意, 基本满意, 不满意.
    pub weights: [Weight; 3],
}

impl Default for Definition {
    fn default() -> Self {
        Definition {
            satisfied_ratings: vec![Rating::Satisfied, Rating::BasicallySatisfied],
            weights: [Weight(10_000), Weight(8_000), Weight(0)],
        }
    }
}

fn rating_name(rating: Rating) -> &'static str {
    match rating {
        Rating::VerySatisfied => "非常满意",
        Rating::Satisfied => "满意",
        Rating::BasicallySatisfied => "基本满意",
        Rating::Unsatisfied => "不满意",
        Rating::VeryUnsatisfied => "非常不满意",
    }
}

impl Definition {
    /// The definition as a paragraph of the report.
    pub fn text(&self) -> String {
        let satisfied: Vec<&str> = self.satisfied_ratings.iter().map(|r| rating_name(*r)).collect();
        let [s, b, u] = self.weights;
        format!(
            "口径说明：受理件数为收到时间在统计期内、未作不予受理的件数；办结件数为其中截至统计时点已办结的件数；\
             办结率＝办结件数÷受理件数×100%；平均办结时间为已办结事项自收到至办结的平均自然日数（每日24小时）；\
             按时办结率＝在办理时限内办结的件数÷办结件数×100%；满意率＝（{}）件数÷参评件数×100%；\
             综合满意率＝（满意×{}＋基本满意×{}＋不满意×{}）÷参评件数×100%；参评件数为办结事项中有评价的件数，\
             同一事项以最后一次评价为准；五级评价的非常满意计为满意、非常不满意计为不满意；回访率＝已回访（含联系不上）的件数÷需回访的办结件数×100%，留有电话的来信办结后需回访，\
             来信人在回访期限前已评价的不需回访；解决率＝评价为已解决的件数÷回答了是否解决的参评件数×100%；\
             核减件数为承办单位申诉、经领导复核同意核减的评价件数，核减的评价不计入参评件数、满意率、综合满意率和解决率；\
             按时签收率＝在签收时限内签收的交办次数÷交办次数×100%；退单率＝退单次数÷交办次数×100%；\
             交办次数为统计期内受理事项的每一次交办，按承办单位各自统计（重新交办的事项，原单位与新单位各计一次）；\
             并单件数为反映同一问题、并入另一事项一并办理的件数，不计入受理件数；\
             比率四舍五入保留两位小数。",
            satisfied.join("＋"),
            s.text(),
            b.text(),
            u.text()
        )
    }

    /// How many of the rated count as satisfied under this definition.
    pub fn satisfied_count(&self, satisfied: i64, basically: i64, unsatisfied: i64) -> i64 {
        self.satisfied_ratings
            .iter()
            // The setting names counted levels only (`config` refuses the
            // outer two, which the counts already hold with their neighbours).
            .map(|r| match r.counted_as() {
                Rating::BasicallySatisfied => basically,
                Rating::Unsatisfied | Rating::VeryUnsatisfied => unsatisfied,
                Rating::Satisfied | Rating::VerySatisfied => satisfied,
            })
            .sum()
    }

    fn composite(&self, satisfied: i64, basically: i64, unsatisfied: i64, rated: i64) -> Option<Hundredths> {
        let [s, b, u] = self.weights;
        let weighted = i128::from(satisfied) * i128::from(s.0)
            + i128::from(basically) * i128::from(b.0)
            + i128::from(unsatisfied) * i128::from(u.0);
        // weighted is in ten-thousandths of a case; × 100 for percent.
        Hundredths::ratio(weighted * 100, i128::from(rated) * 10_000)
    }
}

/// Every figure of DESIGN.md for one scope and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// 受理.
    pub received: i64,
    /// 办结.
    pub closed: i64,
    /// 办结率, %.
    pub completion_rate: Option<Hundredths>,
    /// 平均办结时间, days of 24 h.
    pub avg_handling_days: Option<Hundredths>,
    /// 平均办结时间, working days.
    pub avg_handling_workdays: Option<Hundredths>,
    /// 按时办结率, %.
    pub on_time_rate: Option<Hundredths>,
    /// 超期未办结.
    pub overdue_open: i64,
    /// Closed cases with a rating.
    pub rated: i64,
    /// 满意.
    pub satisfied: i64,
    /// 基本满意.
    pub basically_satisfied: i64,
    /// 不满意.
    pub unsatisfied: i64,
    /// 满意率, %.
    pub satisfaction_rate: Option<Hundredths>,
    /// 综合满意率, %.
    pub composite_satisfaction: Option<Hundredths>,
    /// 对办理工作满意率 (two-dimension channels), %.
    pub work_satisfaction_rate: Option<Hundredths>,
    /// 对办理结果满意率 (two-dimension channels), %.
    pub result_satisfaction_rate: Option<Hundredths>,
    /// 重办率, %.
    pub reopen_rate: Option<Hundredths>,
    /// The rated cases per level as given, before 非常满意 and 非常不满意
    /// are counted with their neighbours.
    pub ratings_by_level: RatingsByLevel,
    /// 回访率, %: `callbacks_made` / `callbacks_needed`.
    pub callback_rate: Option<Hundredths>,
    /// Closed cases called back, reached or unreachable.
    pub callbacks_made: i64,
    /// Closed cases whose callback was needed.
    pub callbacks_needed: i64,
    /// 解决率, %: `resolved` / `resolved_answered`.
    pub resolution_rate: Option<Hundredths>,
    /// Rated cases said to be resolved.
    pub resolved: i64,
    /// Rated cases whose rating says whether it was resolved.
    pub resolved_answered: i64,
    /// 核减: closed cases whose rating in force was excluded on appeal;
    /// counted in none of the rating figures above.
    pub ratings_excluded: i64,
    /// 按时签收率, %: `accepted_on_time` / `assignments`.
    pub accepted_on_time_rate: Option<Hundredths>,
    /// Assignments signed for by their due time.
    pub accepted_on_time: i64,
    /// Assignments of the period's cases (per department: those it got).
    pub assignments: i64,
    /// 退单率, %: `returns` / `assignments`.
    pub return_rate: Option<Hundredths>,
    /// Assignments handed back (per department: those it handed back).
    pub returns: i64,
    /// 并单: cases merged into another one, counted in none of the figures above.
    pub merged: i64,
}

/// Rated cases per level of the five-level scale (three-level channels
/// have none at the outer two).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RatingsByLevel {
    /// 非常满意.
    pub very_satisfied: i64,
    /// 满意 (not 非常满意).
    pub satisfied: i64,
    /// 基本满意.
    pub basically_satisfied: i64,
    /// 不满意 (not 非常不满意).
    pub unsatisfied: i64,
    /// 非常不满意.
    pub very_unsatisfied: i64,
}

impl RatingsByLevel {
    /// The levels of `c`'s sums.
    pub fn of(c: &Counts) -> RatingsByLevel {
        RatingsByLevel {
            very_satisfied: c.very_satisfied,
            satisfied: c.satisfied - c.very_satisfied,
            basically_satisfied: c.basically_satisfied,
            unsatisfied: c.unsatisfied - c.very_unsatisfied,
            very_unsatisfied: c.very_unsatisfied,
        }
    }
}

/// Computes every figure. `two_dimensions` is true when the scope is one
/// channel that rates work and result: only then are the two rates given.
pub fn figures(c: &Counts, definition: &Definition, two_dimensions: bool) -> Figures {
    let rate = |n: i64, d: i64| Hundredths::ratio(i128::from(n) * 100, i128::from(d));
    let satisfaction =
        rate(definition.satisfied_count(c.satisfied, c.basically_satisfied, c.unsatisfied), c.rated);
    let result_satisfaction = rate(
        definition.satisfied_count(c.result_satisfied, c.result_basically_satisfied, c.result_unsatisfied),
        c.result_rated,
    );
    Figures {
        received: c.received,
        closed: c.closed,
        completion_rate: rate(c.closed, c.received),
        avg_handling_days: Hundredths::ratio(
            i128::from(c.handling_seconds),
            i128::from(c.closed) * i128::from(SECONDS_PER_DAY),
        ),
        avg_handling_workdays: Hundredths::ratio(i128::from(c.handling_workdays), i128::from(c.closed)),
        on_time_rate: rate(c.closed_on_time, c.closed),
        overdue_open: c.overdue_open,
        rated: c.rated,
        satisfied: c.satisfied,
        basically_satisfied: c.basically_satisfied,
        unsatisfied: c.unsatisfied,
        satisfaction_rate: satisfaction,
        composite_satisfaction: definition.composite(
            c.satisfied,
            c.basically_satisfied,
            c.unsatisfied,
            c.rated,
        ),
        work_satisfaction_rate: if two_dimensions { satisfaction } else { None },
        result_satisfaction_rate: if two_dimensions { result_satisfaction } else { None },
        reopen_rate: rate(c.reopened_closed, c.closed),
        ratings_by_level: RatingsByLevel::of(c),
        callback_rate: rate(c.callbacks_made, c.callbacks_needed),
        callbacks_made: c.callbacks_made,
        callbacks_needed: c.callbacks_needed,
        resolution_rate: rate(c.resolved_yes, c.resolved_answered),
        resolved: c.resolved_yes,
        resolved_answered: c.resolved_answered,
        ratings_excluded: c.ratings_excluded,
        accepted_on_time_rate: rate(c.accepted_on_time, c.assignments),
        accepted_on_time: c.accepted_on_time,
        assignments: c.assignments,
        return_rate: rate(c.returns, c.assignments),
        returns: c.returns,
        merged: c.merged,
    }
}

/// Each figure's change on the same period a year earlier (current − previous);
/// null where either side is null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Change {
    pub received: i64,
    pub closed: i64,
    /// Completion rate, percentage points.
    pub completion_rate: Option<Hundredths>,
    /// Average handling days; negative means shorter.
    pub avg_handling_days: Option<Hundredths>,
    /// Average handling working days.
    pub avg_handling_workdays: Option<Hundredths>,
    /// On-time rate, points.
    pub on_time_rate: Option<Hundredths>,
    /// Overdue open cases.
    pub overdue_open: i64,
    /// Satisfaction rate, points.
    pub satisfaction_rate: Option<Hundredths>,
    /// Composite satisfaction, points.
    pub composite_satisfaction: Option<Hundredths>,
    /// Work satisfaction, points.
    pub work_satisfaction_rate: Option<Hundredths>,
    /// Result satisfaction, points.
    pub result_satisfaction_rate: Option<Hundredths>,
    /// Reopen rate, points.
    pub reopen_rate: Option<Hundredths>,
    /// Callback rate, points.
    pub callback_rate: Option<Hundredths>,
    /// Resolution rate, points.
    pub resolution_rate: Option<Hundredths>,
    /// Ratings 核减.
    pub ratings_excluded: i64,
    /// 按时签收率, points.
    pub accepted_on_time_rate: Option<Hundredths>,
    /// 退单率, points.
    pub return_rate: Option<Hundredths>,
    /// Cases merged (并单).
    pub merged: i64,
}

fn minus(a: Option<Hundredths>, b: Option<Hundredths>) -> Option<Hundredths> {
    Some(Hundredths(a?.0 - b?.0))
}

/// The change from `previous` to `current`.
pub fn change(current: &Figures, previous: &Figures) -> Change {
    Change {
        received: current.received - previous.received,
        closed: current.closed - previous.closed,
        completion_rate: minus(current.completion_rate, previous.completion_rate),
        avg_handling_days: minus(current.avg_handling_days, previous.avg_handling_days),
        avg_handling_workdays: minus(current.avg_handling_workdays, previous.avg_handling_workdays),
        on_time_rate: minus(current.on_time_rate, previous.on_time_rate),
        overdue_open: current.overdue_open - previous.overdue_open,
        satisfaction_rate: minus(current.satisfaction_rate, previous.satisfaction_rate),
        composite_satisfaction: minus(current.composite_satisfaction, previous.composite_satisfaction),
        work_satisfaction_rate: minus(current.work_satisfaction_rate, previous.work_satisfaction_rate),
        result_satisfaction_rate: minus(current.result_satisfaction_rate, previous.result_satisfaction_rate),
        reopen_rate: minus(current.reopen_rate, previous.reopen_rate),
        callback_rate: minus(current.callback_rate, previous.callback_rate),
        resolution_rate: minus(current.resolution_rate, previous.resolution_rate),
        ratings_excluded: current.ratings_excluded - previous.ratings_excluded,
        accepted_on_time_rate: minus(current.accepted_on_time_rate, previous.accepted_on_time_rate),
        return_rate: minus(current.return_rate, previous.return_rate),
        merged: current.merged - previous.merged,
    }
}

/// The change in average handling time from `previous` to `current`, in
/// tenths of a day, rounded half away from zero from the exact averages:
/// going through the two-decimal figures would round twice (a change of
/// 4.345 days would become 4.35, then 4.4). `None` when either period
/// closed nothing.
pub fn handling_days_change_tenths(current: &Counts, previous: &Counts) -> Option<i64> {
    if current.closed == 0 || previous.closed == 0 {
        return None;
    }
    let (cs, cc) = (i128::from(current.handling_seconds), i128::from(current.closed));
    let (ps, pc) = (i128::from(previous.handling_seconds), i128::from(previous.closed));
    // cs/cc − ps/pc days of 86,400 s; `ratio` gives hundredths of its
    // quotient, so a denominator ten times larger gives tenths.
    Hundredths::ratio(cs * pc - ps * cc, cc * pc * i128::from(SECONDS_PER_DAY) * 10).map(|t| t.0)
}

/// 缩短4.3天 / 延长1.2天 / 持平, from the change in tenths of a day.
pub fn handling_time_change_text(change_tenths: i64) -> String {
    let days = |tenths: i64| Hundredths(tenths * 10).text();
    match change_tenths {
        t if t < 0 => format!("缩短{}天", days(-t)),
        t if t > 0 => format!("延长{}天", days(t)),
        _ => "持平".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: i64) -> Option<Hundredths> {
        Some(Hundredths(v))
    }

    #[test]
    fn rates_round_half_up_in_integer_arithmetic() {
        assert_eq!(Hundredths::ratio(3836 * 100, 3878), h(9892), "98.917… → 98.92");
        assert_eq!(Hundredths::ratio(100, 8), h(1250), "12.5 exactly");
        assert_eq!(Hundredths::ratio(98915, 1000), h(9892), "98.915 rounds up, not down as f64 would");
        assert_eq!(Hundredths::ratio(1, 200), h(1), "0.005 → 0.01");
        assert_eq!(Hundredths::ratio(-1, 200), h(-1), "half away from zero");
        assert_eq!(Hundredths::ratio(5, 0), None);
    }

    #[test]
    fn report_text_drops_trailing_zeros() {
        assert_eq!(Hundredths(9940).text(), "99.4");
        assert_eq!(Hundredths(10000).text(), "100");
        assert_eq!(Hundredths(9892).text(), "98.92");
        assert_eq!(Hundredths(5).text(), "0.05");
        assert_eq!(Hundredths(-430).text(), "-4.3");
    }

    fn counts() -> Counts {
        Counts {
            received: 3878,
            closed: 3836,
            closed_on_time: 3800,
            handling_seconds: 3836 * 86_400 * 7 + 3836 * 43_200,
            handling_workdays: 3836 * 5,
            rated: 3836,
            satisfied: 3068,
            basically_satisfied: 503,
            unsatisfied: 265,
            reopened_closed: 38,
            overdue_open: 12,
            ..Counts::default()
        }
    }

    #[test]
    fn figures_match_hand_computed_values() {
        let f = figures(&counts(), &Definition::default(), false);
        assert_eq!(f.completion_rate, h(9892));
        assert_eq!(f.avg_handling_days, h(750), "7.5 days");
        assert_eq!(f.avg_handling_workdays, h(500));
        assert_eq!(f.on_time_rate, h(9906), "3800/3836 = 99.0615…");
        assert_eq!(f.satisfaction_rate, h(9309), "3571/3836 = 93.0917…");
        assert_eq!(f.composite_satisfaction, h(9047), "(3068 + 0.8 × 503)/3836 = 90.4692…");
        assert_eq!(f.reopen_rate, h(99), "38/3836 = 0.9906…");
        assert_eq!(f.work_satisfaction_rate, None, "one-dimension scope");
        assert_eq!(f.overdue_open, 12);
    }

    #[test]
    fn rates_over_nothing_are_null() {
        let f = figures(&Counts::default(), &Definition::default(), true);
        assert_eq!(f.completion_rate, None);
        assert_eq!(f.avg_handling_days, None);
        assert_eq!(f.satisfaction_rate, None);
        assert_eq!(f.composite_satisfaction, None);
        assert_eq!(f.work_satisfaction_rate, None);
        assert_eq!(serde_json::to_value(f).unwrap()["completion_rate"], serde_json::Value::Null);
    }

    #[test]
    fn two_dimension_channels_rate_work_and_result_separately() {
        let c = Counts {
            received: 218,
            closed: 218,
            rated: 218,
            satisfied: 210,
            basically_satisfied: 8,
            result_rated: 218,
            result_satisfied: 200,
            result_basically_satisfied: 17,
            result_unsatisfied: 1,
            ..Counts::default()
        };
        let f = figures(&c, &Definition::default(), true);
        assert_eq!(f.work_satisfaction_rate, h(10000));
        assert_eq!(f.result_satisfaction_rate, h(9954), "217/218 = 99.541…");
    }

    #[test]
    fn the_definition_is_a_setting() {
        let strict = Definition {
            satisfied_ratings: vec![Rating::Satisfied],
            weights: [Weight(10_000), Weight(6_000), Weight(0)],
        };
        let f = figures(&counts(), &strict, false);
        assert_eq!(f.satisfaction_rate, h(7998), "3068/3836 = 79.979…");
        assert_eq!(f.composite_satisfaction, h(8785), "(3068 + 0.6 × 503)/3836 = 87.8467…");
        assert!(strict.text().contains("（满意）"));
        assert!(strict.text().contains("基本满意×0.6"));
        assert!(Definition::default().text().contains("（满意＋基本满意）"));
    }

    #[test]
    fn weights_parse_with_up_to_four_decimals() {
        assert_eq!(Weight::parse("0.8"), Some(Weight(8000)));
        assert_eq!(Weight::parse("1"), Some(Weight(10_000)));
        assert_eq!(Weight::parse("0.6667"), Some(Weight(6667)));
        assert_eq!(Weight::parse("1.5"), None);
        assert_eq!(Weight::parse("0.12345"), None);
        assert_eq!(Weight::parse("-1"), None);
        assert_eq!(Weight(8000).text(), "0.8");
    }

    #[test]
    fn changes_and_their_wording() {
        let current = figures(
            &Counts {
                closed: 10,
                received: 10,
                handling_seconds: 10 * 86_400 * 82 / 10,
                ..Counts::default()
            },
            &Definition::default(),
            false,
        );
        let previous = figures(
            &Counts {
                closed: 10,
                received: 12,
                handling_seconds: 10 * 86_400 * 125 / 10,
                ..Counts::default()
            },
            &Definition::default(),
            false,
        );
        let c = change(&current, &previous);
        assert_eq!(c.avg_handling_days, h(-430));
        assert_eq!(c.received, -2);
        assert_eq!(c.satisfaction_rate, None);
        assert_eq!(handling_time_change_text(-43), "缩短4.3天");
        assert_eq!(handling_time_change_text(12), "延长1.2天");
        assert_eq!(handling_time_change_text(50), "延长5天");
        assert_eq!(handling_time_change_text(0), "持平");
    }

    fn closed_in(closed: i64, handling_seconds: i64) -> Counts {
        Counts { received: closed, closed, handling_seconds, ..Counts::default() }
    }

    #[test]
    fn the_handling_time_change_is_rounded_once_from_the_exact_averages() {
        let day = 86_400;
        // 12.5 days then 8.2 days: shortened by 4.3.
        assert_eq!(
            handling_days_change_tenths(&closed_in(10, 82 * day), &closed_in(10, 125 * day)),
            Some(-43)
        );
        // 4.345 days against 0: the two-decimal figure 4.35 would round to 4.4.
        let exact = closed_in(200, 869 * day);
        assert_eq!(figures(&exact, &Definition::default(), false).avg_handling_days, h(435));
        assert_eq!(handling_days_change_tenths(&exact, &closed_in(1, 0)), Some(43));
        // 0.04 days longer is 持平, 0.05 is 延长0.1天.
        assert_eq!(handling_days_change_tenths(&closed_in(100, 4 * day), &closed_in(1, 0)), Some(0));
        assert_eq!(handling_days_change_tenths(&closed_in(100, 5 * day), &closed_in(1, 0)), Some(1));
        assert_eq!(handling_days_change_tenths(&closed_in(3, 3 * day), &Counts::default()), None);
    }

    #[test]
    fn a_case_contributes_where_it_was_received_and_what_it_ended_as() {
        use crate::domain::case::tests::facts;
        use crate::domain::ids::DepartmentId;
        let open = facts();
        let (key, counts) = contribution(&open).unwrap();
        assert_eq!((key.day, key.channel.as_str(), key.department), (open.received_at.date(), "mailbox", 3));
        assert_eq!(counts, Counts { received: 1, ..Counts::default() }, "open: received only");
        let closed = CaseFacts {
            state: CaseState::Closed,
            closed_at: open.due_at,
            handling_seconds: Some(86_400),
            handling_workdays: Some(1),
            rating: Some(Rating::BasicallySatisfied),
            result_rating: Some(Rating::Satisfied),
            reopen_count: 1,
            ..open
        };
        let (_, counts) = contribution(&closed).unwrap();
        assert_eq!(
            counts,
            Counts {
                received: 1,
                closed: 1,
                closed_on_time: 1,
                handling_seconds: 86_400,
                handling_workdays: 1,
                rated: 1,
                basically_satisfied: 1,
                result_rated: 1,
                result_satisfied: 1,
                reopened_closed: 1,
                ..Counts::default()
            }
        );
        let late = CaseFacts { closed_at: open.due_at.map(|d| d + chrono::Duration::seconds(1)), ..closed };
        assert_eq!(contribution(&late).unwrap().1.closed_on_time, 0, "a second past the due time is late");
        let rated_but_reopened = CaseFacts { state: CaseState::Processing, ..closed };
        assert_eq!(contribution(&rated_but_reopened).unwrap().1.rated, 0, "only closed cases count ratings");
        let unassigned = CaseFacts { department_id: None, ..open };
        assert_eq!(contribution(&unassigned).unwrap().0.department, 0);
        assert_eq!(contribution(&CaseFacts { state: CaseState::Invalid, ..open }), None);
        let merged = contribution(&CaseFacts { state: CaseState::Merged, ..open }).unwrap().1;
        assert_eq!(
            merged,
            Counts { merged: 1, ..Counts::default() },
            "merged: not received, counted as merged"
        );
        let elsewhere = CaseFacts { department_id: Some(DepartmentId(9)), ..open };
        assert_eq!(contribution(&elsewhere).unwrap().0.department, 9);
    }

    #[test]
    fn five_level_ratings_count_with_their_neighbours_and_by_level() {
        use crate::domain::case::tests::facts;
        let closed = |rating| CaseFacts {
            state: CaseState::Closed,
            closed_at: facts().due_at,
            rating: Some(rating),
            ..facts()
        };
        let mut sums = Counts::default();
        for rating in [Rating::VerySatisfied, Rating::Satisfied, Rating::VeryUnsatisfied, Rating::Unsatisfied]
        {
            sums += contribution(&closed(rating)).unwrap().1;
        }
        assert_eq!((sums.rated, sums.satisfied, sums.unsatisfied), (4, 2, 2));
        assert_eq!((sums.very_satisfied, sums.very_unsatisfied), (1, 1));
        let f = figures(&sums, &Definition::default(), false);
        assert_eq!(f.satisfaction_rate, h(5000), "2 of 4: 非常满意 counts as 满意");
        assert_eq!(f.composite_satisfaction, h(5000));
        assert_eq!(
            f.ratings_by_level,
            RatingsByLevel {
                very_satisfied: 1,
                satisfied: 1,
                basically_satisfied: 0,
                unsatisfied: 1,
                very_unsatisfied: 1
            }
        );
        assert!(Definition::default().text().contains("非常满意计为满意"));
    }

    #[test]
    fn a_rating_excluded_on_appeal_leaves_every_rating_measure() {
        use crate::domain::case::tests::facts;
        let rated = CaseFacts {
            state: CaseState::Closed,
            closed_at: facts().due_at,
            rating: Some(Rating::VeryUnsatisfied),
            result_rating: Some(Rating::Unsatisfied),
            resolved: Some(false),
            ..facts()
        };
        let (_, before) = contribution(&rated).unwrap();
        assert_eq!((before.rated, before.unsatisfied, before.resolved_answered), (1, 1, 1));
        let (_, after) = contribution(&CaseFacts { rating_excluded: true, ..rated }).unwrap();
        assert_eq!(
            after,
            Counts { received: 1, closed: 1, closed_on_time: 1, ratings_excluded: 1, ..Counts::default() },
            "received and closed as before, rated nowhere"
        );
        let reopened = CaseFacts { state: CaseState::Processing, rating_excluded: true, ..rated };
        assert_eq!(contribution(&reopened).unwrap().1.ratings_excluded, 0, "only closed cases count ratings");
        assert!(Definition::default().text().contains("核减的评价不计入参评件数"));
    }

    #[test]
    fn measures_name_their_counts_field() {
        let mut counts = Counts::default();
        for (i, measure) in Measure::ALL.iter().enumerate() {
            *measure.of_mut(&mut counts) = i as i64 + 1;
        }
        assert_eq!(counts.received, 1);
        assert_eq!(counts.merged, Measure::ALL.len() as i64);
        assert_eq!(Measure::ALL.last().map(|m| m.name()), Some("merged"));
        assert_eq!(-(-counts), counts);
    }
}
