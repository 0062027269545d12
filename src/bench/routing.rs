//! `casedesk bench routing`: how often the routing suggestion's first
//! department is the one that closed the case, over the demo county's closed
//! cases, each left out of its own suggestion (`routing_in` never lets a
//! case vote for itself), and how long a suggestion takes.

use std::time::Instant;

use serde_json::{json, Value};

use super::BenchBackend;
use crate::db::models::Case;
use crate::db::{self, Db};
use crate::domain::time;
use crate::progress::Progress;
use crate::service::similar::{routing_in, similar_in};

/// Options of `casedesk bench routing`.
#[derive(Debug, Clone)]
pub struct RoutingOptions {
    /// Which database.
    pub backend: BenchBackend,
    /// PostgreSQL server for `--backend postgres`.
    pub pg_url: String,
    /// Print one JSON object instead of the table.
    pub json: bool,
}

/// Loads the demo county into a scratch database and measures.
pub fn routing(options: RoutingOptions) -> Result<(), String> {
    let scratch = db::scratch::Scratch::create(options.backend.backend(), &options.pg_url, "casedesk_bench")?;
    let result = measure(&scratch.url);
    drop(scratch);
    let report = result?;
    if options.json {
        println!("{report}");
    } else {
        println!("routing suggestion, leave-one-out over the demo county's closed cases");
        println!("  closed cases evaluated      {}", report["evaluated"]);
        println!("  with a suggestion           {}", report["suggested"]);
        println!(
            "  top suggestion right        {} ({}%)",
            report["top_right"], report["top_accuracy_percent"]
        );
        println!(
            "  right among the three       {} ({}%)",
            report["top3_right"], report["top3_accuracy_percent"]
        );
        println!("  median time, routing        {} ms", report["routing_median_ms"]);
        println!("  median time, similar cases  {} ms", report["similar_median_ms"]);
    }
    Ok(())
}

fn percent(n: usize, of: usize) -> f64 {
    if of == 0 {
        return 0.0;
    }
    (n as f64 * 10_000.0 / of as f64).round() / 100.0
}

fn median_ms(mut micros: Vec<u128>) -> f64 {
    micros.sort_unstable();
    micros.get(micros.len() / 2).map_or(0.0, |m| *m as f64 / 1000.0)
}

fn measure(url: &str) -> Result<Value, String> {
    let db = Db::connect(url, 2)?;
    crate::service::accounts::bootstrap_admin(&db, Some("bench-routing-password"))
        .map_err(|e| e.to_string())?;
    let now = time::now_utc();
    let progress = Progress::spinner("loading the demo county");
    crate::demo::load(&db, now).map_err(|e| e.to_string())?;
    progress.finish();
    let closed: Vec<Case> =
        db.write_blocking(|conn| Ok(db::search::closed_cases(conn)?)).map_err(|e| e.to_string())?;
    let progress =
        Progress::counted("suggesting a department for each closed case", closed.len() as u64, "cases");
    let (mut suggested, mut top_right, mut top3_right) = (0, 0, 0);
    let (mut routing_micros, mut similar_micros) = (Vec::new(), Vec::new());
    let everyone = crate::service::access::Caller {
        actor: crate::domain::lifecycle::Actor::Staff(crate::domain::role::Role::Clerk),
        user_id: None,
        department_id: None,
    };
    for (n, chunk) in closed.chunks(500).enumerate() {
        db.write_blocking(|conn| {
            for case in chunk {
                let started = Instant::now();
                let suggestions = routing_in(conn, case, now)?;
                routing_micros.push(started.elapsed().as_micros());
                let started = Instant::now();
                similar_in(conn, case, &everyone, now)?;
                similar_micros.push(started.elapsed().as_micros());
                if suggestions.is_empty() {
                    continue;
                }
                suggested += 1;
                if Some(suggestions[0].department_id) == case.department_id {
                    top_right += 1;
                }
                if suggestions.iter().any(|s| Some(s.department_id) == case.department_id) {
                    top3_right += 1;
                }
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        progress.set(((n + 1) * 500).min(closed.len()) as u64);
    }
    progress.finish();
    Ok(json!({
        "evaluated": closed.len(),
        "suggested": suggested,
        "top_right": top_right,
        "top_accuracy_percent": percent(top_right, closed.len()),
        "top3_right": top3_right,
        "top3_accuracy_percent": percent(top3_right, closed.len()),
        "routing_median_ms": median_ms(routing_micros),
        "similar_median_ms": median_ms(similar_micros),
    }))
}
