//! Figures as the console prints them: the number exactly as the API gives
//! it (for `data-value`), the text as the annual report writes it, and the
//! rule that a rate over fewer than [`MIN_BASE`] cases is not ranked.

use crate::domain::figures::{Figures, Hundredths};

/// Fewest cases a rate in a table is shown over: a department with two cases
/// and one satisfied citizen does not top a league table at 50 %.
pub const MIN_BASE: i64 = 5;

/// The number as the API's JSON gives it (`null` for a rate over nothing).
pub fn api_value(value: Option<Hundredths>) -> String {
    serde_json::to_string(&value).unwrap_or_else(|_| "null".into())
}

/// A rate as the report prints it: `99.4%`, or `—` over nothing.
pub fn percent(value: Option<Hundredths>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{}%", v.text()))
}

/// Days as the report prints them: `7.5 天`.
pub fn days(value: Option<Hundredths>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{} 天", v.text()))
}

/// A change in percentage points, signed: `+1.2 个百分点`.
pub fn points(value: Option<Hundredths>) -> String {
    match value {
        None => "—".to_owned(),
        Some(v) if v.0 > 0 => format!("上升 {} 个百分点", v.text()),
        Some(v) if v.0 < 0 => format!("下降 {} 个百分点", Hundredths(-v.0).text()),
        Some(_) => "持平".to_owned(),
    }
}

/// A change in a count: `增加 12 件`.
pub fn count_change(value: i64) -> String {
    match value {
        v if v > 0 => format!("增加 {v} 件"),
        v if v < 0 => format!("减少 {} 件", -v),
        _ => "持平".to_owned(),
    }
}

/// How a figure is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Cases.
    Count,
    /// A percentage.
    Rate,
    Days,
}

/// The figures the console shows, in order: name as in the stats API, label,
/// kind, and the count its rate is taken over (for [`MIN_BASE`]).
pub const SHOWN: [(&str, &str, Kind); 14] = [
    ("received", "受理", Kind::Count),
    ("closed", "办结", Kind::Count),
    ("completion_rate", "办结率", Kind::Rate),
    ("on_time_rate", "按时办结率", Kind::Rate),
    ("avg_handling_days", "平均办结时间", Kind::Days),
    ("satisfaction_rate", "满意率", Kind::Rate),
    ("composite_satisfaction", "综合满意率", Kind::Rate),
    ("resolution_rate", "解决率", Kind::Rate),
    ("callback_rate", "回访率", Kind::Rate),
    ("ratings_excluded", "核减", Kind::Count),
    ("accepted_on_time_rate", "按时签收率", Kind::Rate),
    ("return_rate", "退单率", Kind::Rate),
    ("merged", "并单", Kind::Count),
    ("overdue_open", "超期未办结", Kind::Count),
];

/// One figure of `figures` by its API name: a count, or a rate with the
/// number of cases it is taken over.
pub enum Value {
    Count(i64),
    /// A rate or mean, and its base.
    Ratio(Option<Hundredths>, i64),
}

/// Looks a shown figure up by name.
pub fn value_of(figures: &Figures, name: &str) -> Value {
    match name {
        "received" => Value::Count(figures.received),
        "closed" => Value::Count(figures.closed),
        "overdue_open" => Value::Count(figures.overdue_open),
        "ratings_excluded" => Value::Count(figures.ratings_excluded),
        "merged" => Value::Count(figures.merged),
        "completion_rate" => Value::Ratio(figures.completion_rate, figures.received),
        "on_time_rate" => Value::Ratio(figures.on_time_rate, figures.closed),
        "avg_handling_days" => Value::Ratio(figures.avg_handling_days, figures.closed),
        "satisfaction_rate" => Value::Ratio(figures.satisfaction_rate, figures.rated),
        "composite_satisfaction" => Value::Ratio(figures.composite_satisfaction, figures.rated),
        "resolution_rate" => Value::Ratio(figures.resolution_rate, figures.resolved_answered),
        "callback_rate" => Value::Ratio(figures.callback_rate, figures.callbacks_needed),
        "accepted_on_time_rate" => Value::Ratio(figures.accepted_on_time_rate, figures.assignments),
        "return_rate" => Value::Ratio(figures.return_rate, figures.assignments),
        _ => Value::Count(0),
    }
}

/// The report's wording of what a figure counts (口径), from the definition
/// paragraph every report prints: the clause that defines it, plus the
/// clause on who is rated for satisfaction figures. Overdue open cases are
/// not in the report's paragraph; their definition is DESIGN.md's.
pub fn definition_of(definition_text: &str, name: &str) -> String {
    let body = definition_text.trim_start_matches("口径说明：").trim_end_matches('。');
    let clauses: Vec<&str> = body.split('；').collect();
    let find = |prefix: &str| clauses.iter().find(|c| c.starts_with(prefix)).map(|c| c.to_string());
    let rated = find("参评件数").unwrap_or_default();
    let rounding = find("比率").unwrap_or_default();
    let excluded = find("核减件数").unwrap_or_default();
    let text = match name {
        "received" => find("受理件数"),
        "closed" => find("办结件数"),
        "completion_rate" => find("办结率").map(|c| format!("{c}；{rounding}")),
        "on_time_rate" => find("按时办结率").map(|c| format!("{c}；{rounding}")),
        "avg_handling_days" => find("平均办结时间"),
        "satisfaction_rate" => find("满意率").map(|c| format!("{c}；{rated}；{excluded}；{rounding}")),
        "composite_satisfaction" => {
            find("综合满意率").map(|c| format!("{c}；{rated}；{excluded}；{rounding}"))
        }
        "resolution_rate" => find("解决率").map(|c| format!("{c}；{excluded}；{rounding}")),
        "ratings_excluded" => Some(excluded),
        "merged" => find("并单件数"),
        "callback_rate" => find("回访率").map(|c| format!("{c}；{rounding}")),
        "accepted_on_time_rate" | "return_rate" => {
            let own = find("交办次数").unwrap_or_default();
            let clause = if name == "return_rate" { find("退单率") } else { find("按时签收率") };
            clause.map(|c| format!("{c}；{own}；{rounding}"))
        }
        "overdue_open" => Some(
            "超期未办结为收到时间在统计期内、截至统计时点仍未办结且已超过办理期限的件数（暂停计时中的事项不计）"
                .to_owned(),
        ),
        _ => None,
    };
    text.map(|t| format!("{t}。")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::figures::Definition;

    #[test]
    fn figures_are_written_as_the_report_writes_them() {
        assert_eq!(percent(Some(Hundredths(9940))), "99.4%");
        assert_eq!(percent(Some(Hundredths(10000))), "100%");
        assert_eq!(percent(None), "—");
        assert_eq!(days(Some(Hundredths(750))), "7.5 天");
        assert_eq!(points(Some(Hundredths(-120))), "下降 1.2 个百分点");
        assert_eq!(count_change(3), "增加 3 件");
        assert_eq!(api_value(Some(Hundredths(9892))), "98.92");
        assert_eq!(api_value(Some(Hundredths(10000))), "100.0");
        assert_eq!(api_value(None), "null");
    }

    #[test]
    fn every_shown_figure_has_its_definition_in_the_reports_words() {
        let text = Definition::default().text();
        for (name, _, _) in SHOWN {
            let definition = definition_of(&text, name);
            assert!(definition.chars().count() > 10, "{name}: {definition}");
        }
        let composite = definition_of(&text, "composite_satisfaction");
        assert!(composite.starts_with("综合满意率＝") && composite.contains("参评件数为"), "{composite}");
        assert!(text.contains(definition_of(&text, "received").trim_end_matches('。')));
    }
}
