//! Progress of the long-running commands (`casedesk bench`, `casedesk demo`)
//! on standard error, drawn by indicatif: a bar or a spinner redrawn in place
//! while a phase runs when standard error is a terminal, nothing while it runs
//! when standard error is a pipe or a log file, and in both cases one plain
//! line when the phase ends, such as
//! `loading cases: 1000000/1000000 in 42 s (23,810/s)`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanCount, ProgressBar, ProgressStyle};

/// How often a bar or spinner is redrawn when nothing else moves it.
const TICK: Duration = Duration::from_millis(100);

/// One phase of a long-running command, from its start to [`Progress::finish`].
pub struct Progress {
    bar: ProgressBar,
    label: String,
    unit: &'static str,
    kind: Kind,
    started: Instant,
}

enum Kind {
    /// A known number of items: the bar fills as they are done.
    Counted { total: u64 },
    /// A set time: the bar fills as the time passes, with the count beside it.
    Timed { done: AtomicU64 },
    /// An unknown length: a spinner, and no count.
    Spinner,
}

impl Progress {
    /// A phase of `total` items, counted in `unit` ("cases"; may be empty).
    pub fn counted(label: impl Into<String>, total: u64, unit: &'static str) -> Self {
        let style = style("{spinner:.green} {prefix}: [{bar:30.cyan/blue}] {pos}/{len}{msg}");
        Self::start(ProgressBar::new(total).with_style(style), label, unit, Kind::Counted { total })
    }

    /// A phase that runs for `duration`, counting what it does in `unit`.
    pub fn timed(label: impl Into<String>, duration: Duration, unit: &'static str) -> Self {
        // The bar's position is the time passed, in milliseconds.
        let template = format!(
            "{{spinner:.green}} {{prefix}}: [{{bar:30.cyan/blue}}] {{elapsed}} of {} s, {{msg}}",
            duration.as_secs_f64().round()
        );
        let bar = ProgressBar::new(duration.as_millis() as u64).with_style(style(&template));
        Self::start(bar, label, unit, Kind::Timed { done: AtomicU64::new(0) })
    }

    /// A phase of unknown length, such as one long statement.
    pub fn spinner(label: impl Into<String>) -> Self {
        let bar = ProgressBar::new_spinner().with_style(style("{spinner:.green} {prefix} ({elapsed})"));
        Self::start(bar, label, "", Kind::Spinner)
    }

    fn start(bar: ProgressBar, label: impl Into<String>, unit: &'static str, kind: Kind) -> Self {
        let label = label.into();
        bar.set_prefix(label.clone());
        // The ticker is a thread of its own: none when nothing is drawn.
        if !bar.is_hidden() {
            bar.enable_steady_tick(TICK);
        }
        let progress = Self { bar, label, unit, kind, started: Instant::now() };
        progress.set(0);
        progress
    }

    /// Says that `done` items are done so far.
    pub fn set(&self, done: u64) {
        let rate = rate(done, self.started.elapsed());
        match &self.kind {
            Kind::Counted { .. } => {
                self.bar.set_position(done);
                self.bar.set_message(format!("{} ({}/s)", unit(self.unit), HumanCount(rate)));
            }
            Kind::Timed { done: counted } => {
                counted.store(done, Ordering::Relaxed);
                let elapsed = self.started.elapsed().as_millis() as u64;
                self.bar.set_position(elapsed.min(self.bar.length().unwrap_or(elapsed)));
                self.bar.set_message(format!("{}{} ({}/s)", done, unit(self.unit), HumanCount(rate)));
            }
            Kind::Spinner => {}
        }
    }

    /// Prints a line of its own without breaking the bar.
    pub fn println(&self, line: impl std::fmt::Display) {
        self.bar.suspend(|| eprintln!("{line}"));
    }

    /// Ends the phase: clears the bar and prints the phase's one line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        let elapsed = self.started.elapsed();
        let took = seconds(elapsed);
        let line = match &self.kind {
            Kind::Counted { total } => {
                let done = self.bar.position();
                let rate = HumanCount(rate(done, elapsed));
                format!("{}: {done}/{total}{} in {took} ({rate}/s)", self.label, unit(self.unit))
            }
            Kind::Timed { done } => {
                let done = done.load(Ordering::Relaxed);
                let rate = HumanCount(rate(done, elapsed));
                format!("{}: {done}{} in {took} ({rate}/s)", self.label, unit(self.unit))
            }
            Kind::Spinner => format!("{}: done in {took}", self.label),
        };
        eprintln!("{line}");
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("a valid progress template").progress_chars("=> ")
}

fn unit(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

fn rate(done: u64, elapsed: Duration) -> u64 {
    (done as f64 / elapsed.as_secs_f64().max(1e-3)).round() as u64
}

/// "35 ms", "4.2 s", "42 s": as precise as still shows.
fn seconds(elapsed: Duration) -> String {
    let s = elapsed.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 10.0 {
        format!("{s:.1} s")
    } else {
        format!("{s:.0} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_as_precise_as_still_shows() {
        assert_eq!(seconds(Duration::from_micros(35_400)), "35 ms");
        assert_eq!(seconds(Duration::from_millis(4_240)), "4.2 s");
        assert_eq!(seconds(Duration::from_millis(42_300)), "42 s");
    }

    #[test]
    fn rates_are_per_second() {
        assert_eq!(rate(1_000_000, Duration::from_secs(42)), 23_810);
        assert_eq!(HumanCount(23_810).to_string(), "23,810");
    }
}
