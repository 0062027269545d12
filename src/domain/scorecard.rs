//! The departments' scorecard (DESIGN.md "After closure, time limits on every
//! step"): six components, each a rate with what it is made of, and a score
//! from weights that are a setting. The national rules warn against ranking
//! for its own sake (不片面追求排名), so every score is printed with its
//! parts, a component without data is left out rather than counted as 0
//! (its weight spread over the others, in proportion), and a department with
//! too few cases is listed but not ranked.

use serde::Serialize;

use super::figures::{Counts, Definition, Hundredths};

/// Departments that received fewer cases than this in the period are listed
/// but not ranked: a rate over three cases says little.
pub const MIN_CASES_RANKED: i64 = 5;

/// One part of the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// 按时签收率.
    AcceptedOnTimeRate,
    /// 办结率.
    CompletionRate,
    /// 按时办结率.
    OnTimeRate,
    /// 满意率.
    SatisfactionRate,
    /// 解决率.
    ResolutionRate,
    /// 退单率, scored as 100 − rate.
    ReturnRate,
}

impl Component {
    /// Every component, in the order the scorecard prints them.
    pub const ALL: [Component; 6] = [
        Component::AcceptedOnTimeRate,
        Component::CompletionRate,
        Component::OnTimeRate,
        Component::SatisfactionRate,
        Component::ResolutionRate,
        Component::ReturnRate,
    ];

    /// The name in the API and in the weights setting.
    pub fn name(self) -> &'static str {
        match self {
            Component::AcceptedOnTimeRate => "accepted_on_time_rate",
            Component::CompletionRate => "completion_rate",
            Component::OnTimeRate => "on_time_rate",
            Component::SatisfactionRate => "satisfaction_rate",
            Component::ResolutionRate => "resolution_rate",
            Component::ReturnRate => "return_rate",
        }
    }

    /// Its name in the report's words.
    pub fn label(self) -> &'static str {
        match self {
            Component::AcceptedOnTimeRate => "按时签收率",
            Component::CompletionRate => "办结率",
            Component::OnTimeRate => "按时办结率",
            Component::SatisfactionRate => "满意率",
            Component::ResolutionRate => "解决率",
            Component::ReturnRate => "未退单率（100－退单率）",
        }
    }

    /// The component named `name`.
    pub fn parse(name: &str) -> Option<Component> {
        Component::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Its rate in a department's sums: what it counts over what. For the
    /// 退单率 the scored part is the assignments not handed back.
    pub fn part(self, c: &Counts, definition: &Definition) -> Part {
        let (numerator, denominator) = match self {
            Component::AcceptedOnTimeRate => (c.accepted_on_time, c.assignments),
            Component::CompletionRate => (c.closed, c.received),
            Component::OnTimeRate => (c.closed_on_time, c.closed),
            Component::SatisfactionRate => {
                (definition.satisfied_count(c.satisfied, c.basically_satisfied, c.unsatisfied), c.rated)
            }
            Component::ResolutionRate => (c.resolved_yes, c.resolved_answered),
            Component::ReturnRate => (c.assignments - c.returns, c.assignments),
        };
        Part {
            rate: Hundredths::ratio(i128::from(numerator) * 100, i128::from(denominator)),
            numerator,
            denominator,
        }
    }
}

/// A rate with what it is made of; `rate` is null over nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Part {
    /// %, two decimals.
    pub rate: Option<Hundredths>,
    pub numerator: i64,
    pub denominator: i64,
}

/// The weight of each component, whole points summing to 100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weights(pub [(Component, i64); 6]);

impl Default for Weights {
    /// 按时签收 15, 办结率 20, 按时办结 25, 满意率 25, 解决率 10, 退单 5.
    fn default() -> Self {
        Weights([
            (Component::AcceptedOnTimeRate, 15),
            (Component::CompletionRate, 20),
            (Component::OnTimeRate, 25),
            (Component::SatisfactionRate, 25),
            (Component::ResolutionRate, 10),
            (Component::ReturnRate, 5),
        ])
    }
}

impl Weights {
    /// Parses `accepted_on_time_rate=15,completion_rate=20,…`: every
    /// component once, whole numbers from 0 to 100, summing to 100. The
    /// error says what is wrong, for the sentence naming the setting.
    pub fn parse(raw: &str) -> Result<Weights, String> {
        let mut given: Vec<(Component, i64)> = Vec::new();
        for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').ok_or_else(|| format!("'{pair}' is not name=weight"))?;
            let component = Component::parse(name.trim()).ok_or_else(|| {
                let names: Vec<&str> = Component::ALL.iter().map(|c| c.name()).collect();
                format!("'{}' is not one of {}", name.trim(), names.join(", "))
            })?;
            let weight =
                value.trim().parse::<i64>().ok().filter(|w| (0..=100).contains(w)).ok_or_else(|| {
                    format!(
                        "the weight of {name} must be a whole number from 0 to 100, got '{}'",
                        value.trim()
                    )
                })?;
            if given.iter().any(|(c, _)| *c == component) {
                return Err(format!("{name} is given twice"));
            }
            given.push((component, weight));
        }
        let weights: [(Component, i64); 6] =
            Component::ALL.map(|c| (c, given.iter().find(|(g, _)| *g == c).map_or(-1, |(_, w)| *w)));
        if let Some((missing, _)) = weights.iter().find(|(_, w)| *w < 0) {
            return Err(format!("every component needs a weight; {} has none", missing.name()));
        }
        let sum: i64 = weights.iter().map(|(_, w)| w).sum();
        if sum != 100 {
            return Err(format!("the weights must sum to 100, they sum to {sum}"));
        }
        Ok(Weights(weights))
    }

    /// The weight of `component`.
    pub fn of(&self, component: Component) -> i64 {
        self.0.iter().find(|(c, _)| *c == component).map_or(0, |(_, w)| *w)
    }

    /// The formula as the scorecard page and the bulletin print it.
    pub fn formula_text(&self) -> String {
        let terms: Vec<String> = self.0.iter().map(|(c, w)| format!("{}×{w}", c.label())).collect();
        format!(
            "综合得分＝（{}）÷100，各项比率按百分数计；某项无数据（分母为0）时该项记为“—”，其权重按其余各项权重的比例分配；\
             统计期内受理不足{MIN_CASES_RANKED}件的单位列出但不参与排名。",
            terms.join("＋")
        )
    }
}

/// A department's score: Σ weight × rate over the components with data,
/// divided by the sum of those weights (so a missing component's weight is
/// spread over the others in proportion); `None` when no component has data
/// or the weights of those that do are all 0.
pub fn score(parts: &[(Component, Part)], weights: &Weights) -> Option<Hundredths> {
    let mut weighted: i128 = 0;
    let mut weight_sum: i128 = 0;
    for (component, part) in parts {
        if let Some(rate) = part.rate {
            let weight = i128::from(weights.of(*component));
            weighted += weight * i128::from(rate.0);
            weight_sum += weight;
        }
    }
    // weighted / weight_sum is already in hundredths; `ratio` multiplies by 100.
    Hundredths::ratio(weighted, weight_sum * 100)
}

/// Ranks by score, highest first, ties sharing a rank (1, 2, 2, 4); entries
/// not to be ranked (`None`) get no rank. Returns each entry's rank in input order.
pub fn ranks(scores: &[Option<Hundredths>]) -> Vec<Option<usize>> {
    scores
        .iter()
        .map(|own| own.map(|own| 1 + scores.iter().flatten().filter(|other| **other > own).count()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(numerator: i64, denominator: i64) -> Part {
        Part {
            rate: Hundredths::ratio(i128::from(numerator) * 100, i128::from(denominator)),
            numerator,
            denominator,
        }
    }

    #[test]
    fn the_score_is_the_weighted_mean_of_the_rates() {
        let parts: Vec<(Component, Part)> = Component::ALL.iter().map(|c| (*c, part(9, 10))).collect();
        assert_eq!(score(&parts, &Weights::default()), Some(Hundredths(9000)));
        let mixed = vec![
            (Component::AcceptedOnTimeRate, part(1, 2)), // 50 × 15
            (Component::CompletionRate, part(1, 1)),     // 100 × 20
            (Component::OnTimeRate, part(3, 4)),         // 75 × 25
            (Component::SatisfactionRate, part(4, 5)),   // 80 × 25
            (Component::ResolutionRate, part(0, 1)),     // 0 × 10
            (Component::ReturnRate, part(1, 1)),         // 100 × 5
        ];
        // (750 + 2000 + 1875 + 2000 + 0 + 500) / 100 = 71.25
        assert_eq!(score(&mixed, &Weights::default()), Some(Hundredths(7125)));
    }

    #[test]
    fn a_component_without_data_spreads_its_weight() {
        let mut parts: Vec<(Component, Part)> = Component::ALL.iter().map(|c| (*c, part(1, 1))).collect();
        parts[4].1 = part(0, 0);
        parts[0].1 = part(1, 2);
        // Without 解决率 (10): (50 × 15 + 100 × 75) / 90 = 91.666… → 91.67
        assert_eq!(score(&parts, &Weights::default()), Some(Hundredths(9167)));
        let nothing: Vec<(Component, Part)> = Component::ALL.iter().map(|c| (*c, part(0, 0))).collect();
        assert_eq!(score(&nothing, &Weights::default()), None);
    }

    #[test]
    fn ties_share_a_rank_and_the_unranked_get_none() {
        let s = |v| Some(Hundredths(v));
        assert_eq!(
            ranks(&[s(80), None, s(90), s(80), s(70)]),
            vec![Some(2), None, Some(1), Some(2), Some(4)]
        );
    }

    #[test]
    fn weights_are_every_component_once_summing_to_100() {
        let default = "accepted_on_time_rate=15,completion_rate=20,on_time_rate=25,satisfaction_rate=25,resolution_rate=10,return_rate=5";
        assert_eq!(Weights::parse(default), Ok(Weights::default()));
        let error = |raw: &str| Weights::parse(raw).unwrap_err();
        assert!(
            error(&default.replace("=5", "=6")).contains("sum to 101"),
            "{}",
            error(&default.replace("=5", "=6"))
        );
        assert!(error(&default.replace("=15", "=-15")).contains("from 0 to 100"));
        assert!(error("completion_rate=100").contains("accepted_on_time_rate has none"));
        assert!(error(&format!("{default},speed=0")).contains("'speed' is not one of"));
        assert!(error(&default.replace("return_rate=5", "completion_rate=5")).contains("twice"));
        assert!(Weights::default().formula_text().contains("按时签收率×15"));
    }

    #[test]
    fn the_return_rate_scores_the_assignments_kept() {
        let counts = Counts { assignments: 8, returns: 2, ..Counts::default() };
        let p = Component::ReturnRate.part(&counts, &Definition::default());
        assert_eq!((p.numerator, p.denominator, p.rate), (6, 8, Some(Hundredths(7500))));
    }
}
