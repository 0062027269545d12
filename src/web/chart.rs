//! Charts as SVG drawn on the server: a grouped bar chart of a few series
//! over months is all the dashboard needs, so a small module of our own
//! rather than a plotting crate (plotters would add a font stack and a
//! dozen crates to draw what is forty lines of SVG). The markup is made
//! here, escaped here, and inserted into the page as it is; every chart has
//! a `<title>`, and the page puts the same numbers in a table beside it.
//! Series differ in pattern as well as colour (solid, hatched), so the chart
//! reads in greyscale print and for colour-blind readers.

use std::fmt::Write;

/// One series of bars.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// One value per category.
    pub values: &'a [i64],
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 40.0;
/// Fills of the series, in order: dark blue solid, then hatched.
const FILLS: [&str; 2] = ["#0a4a94", "url(#hatch)"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round upper bound for the axis: 1, 2 or 5 times a power of ten.
fn axis_max(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if m * step >= max.max(1) {
                return m * step;
            }
        }
        step *= 10;
    }
}

/// A grouped bar chart of `series` over `categories`, titled `title`.
pub fn bars(title: &str, categories: &[String], series: &[Series<'_>]) -> String {
    let max = series.iter().flat_map(|s| s.values.iter().copied()).max().unwrap_or(0);
    let top = axis_max(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / categories.len().max(1) as f64;
    let bar = (slot * 0.8) / series.len().max(1) as f64;
    let y = |v: i64| TOP + plot_h - (v as f64 / top as f64) * plot_h;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title><defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/><rect width="3" height="6" fill="#9b1c1c"/></pattern></defs>"##,
        escape(title)
    );
    for i in 0..=4 {
        let value = top * i / 4;
        let at = y(value);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="#b0b0b0" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#1b1b1b">{value}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            at + 4.0
        );
    }
    for (c, category) in categories.iter().enumerate() {
        let x0 = LEFT + slot * c as f64 + slot * 0.1;
        for (s, one) in series.iter().enumerate() {
            let value = one.values.get(c).copied().unwrap_or(0);
            let x = x0 + bar * s as f64;
            let top_y = y(value);
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{top_y:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="#1b1b1b" stroke-width="0.5"><title>{} {}：{value}</title></rect>"##,
                (bar - 1.0).max(1.0),
                (TOP + plot_h - top_y).max(0.0),
                FILLS[s % FILLS.len()],
                escape(category),
                escape(one.label)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12" fill="#1b1b1b">{}</text>"##,
            x0 + slot * 0.4,
            HEIGHT - BOTTOM + 18.0,
            escape(category)
        );
    }
    for (s, one) in series.iter().enumerate() {
        let x = LEFT + 140.0 * s as f64;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="8" width="16" height="16" fill="{}" stroke="#1b1b1b" stroke-width="0.5"/><text x="{}" y="21" font-size="13" fill="#1b1b1b">{}</text>"##,
            FILLS[s % FILLS.len()],
            x + 22.0,
            escape(one.label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_number_above_the_largest_bar() {
        assert_eq!(axis_max(0), 1);
        assert_eq!(axis_max(7), 10);
        assert_eq!(axis_max(130), 200);
        assert_eq!(axis_max(4100), 5000);
    }

    #[test]
    fn a_chart_has_its_title_one_bar_per_value_and_escapes_labels() {
        let months = vec!["1月".to_owned(), "2月<".to_owned()];
        let svg = bars(
            "2024年 受理与办结",
            &months,
            &[Series { label: "受理", values: &[3, 5] }, Series { label: "办结", values: &[2, 4] }],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title id=\"chart-title\">2024年 受理与办结</title>"));
        assert_eq!(svg.matches("<rect x=").count(), 4 + 2, "four bars and two legend keys");
        assert!(svg.contains("2月&lt; 办结：4") && !svg.contains("2月<"));
    }
}
