//! The bulk loader of `bench stats`: a year of cases straight into the
//! tables, through the database module's bulk insert.

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};

use crate::db::models::NewCaseRow;
use crate::db::{self, Db};
use crate::domain::calendar::{LimitUnit, TimeLimit};
use crate::domain::ids::DepartmentId;
use crate::domain::intake;
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::{Rating, RatingSource};
use crate::domain::time;
use crate::error::AppError;
use crate::progress::Progress;

/// Rows per insert statement: PostgreSQL binds at most 65,535 parameters in
/// one, and a case has 32 columns.
const ROWS_PER_STATEMENT: usize = 1_000;

/// A letter of the loaded cases: one of [`TOPICS`] at one of [`PLACES`],
/// with a detail, a name and a phone; one case in [`RARE_EVERY`] mentions
/// [`RARE_WORD`].
struct Letter {
    category: &'static str,
    title: String,
    content: String,
    name: String,
    phone: String,
}

/// Matters the loaded letters are about.
const TOPICS: [&str; 24] = [
    "路灯不亮",
    "道路破损",
    "噪音扰民",
    "物业乱收费",
    "停车难",
    "拖欠工资",
    "垃圾清运不及时",
    "自来水水压不足",
    "幼儿园收费偏高",
    "学位紧张",
    "医保报销慢",
    "社保卡补办",
    "违章搭建",
    "占道经营",
    "河道污染",
    "企业排放异味",
    "公交班次少",
    "红绿灯设置不合理",
    "低保申请",
    "宅基地审批",
    "户口迁移",
    "电动车被盗",
    "农田灌溉困难",
    "房屋漏水",
];
/// The category of each of [`TOPICS`], by its index divided by 4.
const CATEGORIES: [&str; 6] = ["市政设施", "劳动社保", "城市管理", "教育医疗", "环境保护", "民政户籍"];
/// Where.
const PLACES: [&str; 16] = [
    "城关镇",
    "河西村",
    "工业园区",
    "人民路",
    "滨河花园",
    "北关社区",
    "南湖镇",
    "红星村",
    "文化路",
    "火车站片区",
    "青山镇",
    "城南新区",
    "东风路",
    "幸福小区",
    "西街",
    "长途汽车站",
];
/// What the writer adds.
const DETAILS: [&str; 8] = [
    "已经持续好几个月",
    "多次向社区反映没有结果",
    "老人孩子出行很不方便",
    "严重影响周边居民生活",
    "去年也出现过同样情况",
    "附近商户意见很大",
    "晚上尤其严重",
    "希望能给个明确答复",
];
/// The rare word of the search benchmark.
pub(super) const RARE_WORD: &str = "麒麟雕塑";
/// One case in this many mentions it.
const RARE_EVERY: usize = 50_000;

fn letter(rng: &mut rand::rngs::StdRng, i: usize) -> Letter {
    let which = rng.random_range(0..TOPICS.len());
    let topic = TOPICS[which];
    let place = PLACES[rng.random_range(0..PLACES.len())];
    let detail = DETAILS[rng.random_range(0..DETAILS.len())];
    let rare = if i % RARE_EVERY == 7 { format!("，{RARE_WORD}旁边尤其明显") } else { String::new() };
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
    let given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "建国", "秀英"];
    Letter {
        category: CATEGORIES[which / 4],
        title: format!("反映{place}{topic}的问题"),
        content: format!("{place}{topic}，{detail}{rare}。希望有关部门尽快处理！谢谢。"),
        name: format!("{}{}", surnames[rng.random_range(0..10)], given[rng.random_range(0..given.len())]),
        phone: format!("13{}{:08}", rng.random_range(0..10), rng.random_range(0..100_000_000)),
    }
}

/// Loads `n` cases received in 2024 straight into the tables (through the
/// same insert as every loader of history, a few thousand per transaction),
/// then builds the rollups.
pub(super) fn bulk_load(db: &Db, n: usize) -> Result<(), AppError> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let departments: Vec<DepartmentId> = db.write_blocking(|conn| {
        let now = time::now_utc();
        (0..50)
            .map(|i| {
                db::departments::insert(
                    conn,
                    &db::models::NewDepartment {
                        name: format!("承办单位{i:02}"),
                        code: format!("D{i:02}"),
                        email: None,
                        active: true,
                        created_at: now,
                        updated_at: now,
                    },
                )
                .map_err(AppError::from)
            })
            .collect()
    })?;
    let channels = [
        ("mailbox", "MB", 5),
        ("minhu", "MH", 80),
        ("gov_web", "GW", 2),
        ("disclosure", "GK", 3),
        ("suggestion", "JY", 10),
    ];
    let year_start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date");
    let limit = Some(TimeLimit { amount: 15, unit: LimitUnit::Workday });
    let mut sequences = [0usize; 5];
    let batch = 5_000;
    let mut loaded = 0;
    let progress = Progress::counted("loading cases", n as u64, "");
    while loaded < n {
        let rows: Vec<NewCaseRow> = (0..batch.min(n - loaded))
            .map(|_| {
                let pick = rng.random_range(0..100);
                let mut cumulative = 0;
                let c = channels
                    .iter()
                    .position(|(_, _, weight)| {
                        cumulative += weight;
                        pick < cumulative
                    })
                    .unwrap_or(0);
                sequences[c] += 1;
                let (code, prefix, _) = channels[c];
                let letter = letter(&mut rng, sequences.iter().sum::<usize>());
                // Anywhere in 2024, Beijing time (a leap year: 366 days).
                let received = time::start_of_office_day(year_start)
                    + chrono::Duration::seconds(rng.random_range(0..366 * 86_400));
                let seconds: i64 = rng.random_range(3_600..30 * 86_400);
                let closed_at = received + chrono::Duration::seconds(seconds);
                let closed = rng.random_bool(0.98);
                let rating = match rng.random_range(0..10) {
                    0..=6 => Rating::Satisfied,
                    7..=8 => Rating::BasicallySatisfied,
                    _ => Rating::Unsatisfied,
                };
                NewCaseRow {
                    tracking_no: intake::tracking_number(prefix, 2024, sequences[c] as i32),
                    channel: code.into(),
                    external_ref: None,
                    title: letter.title,
                    content: letter.content,
                    category: Some(letter.category.to_owned()),
                    citizen_name: Some(letter.name),
                    citizen_phone: Some(letter.phone),
                    citizen_email: None,
                    citizen_address: None,
                    is_public: false,
                    query_code_hash: "x".into(),
                    received_at: received,
                    due_at: Some(received + chrono::Duration::days(21)),
                    state: if closed { CaseState::Closed } else { CaseState::Processing },
                    created_by: None,
                    created_at: received,
                    updated_at: received,
                    time_limit: limit.map(|l| l.amount as i32),
                    time_limit_unit: limit.map(|l| l.unit),
                    extension_limit: limit.map(|l| l.amount as i32),
                    extension_unit: limit.map(|l| l.unit),
                    department_id: Some(departments[rng.random_range(0..departments.len())]),
                    reply: None,
                    replied_at: None,
                    closed_at: closed.then_some(closed_at),
                    rating: closed.then_some(rating),
                    result_rating: if code == "suggestion" { closed.then_some(rating) } else { None },
                    rating_source: closed.then_some(RatingSource::Callback),
                    rated_at: closed.then_some(closed_at),
                    handling_seconds: closed.then_some(seconds),
                    handling_workdays: closed.then_some((seconds / 86_400 * 5 / 7) as i32),
                    resolved: None,
                    callback_state: None,
                    callback_due_at: None,
                    callback_at: None,
                    rectification_state: None,
                    rectification_due_at: None,
                    rating_excluded_at: None,
                }
            })
            .collect();
        db.write_blocking(|conn| {
            for statement in rows.chunks(ROWS_PER_STATEMENT) {
                db::cases::insert_many(conn, statement)?;
            }
            Ok(())
        })?;
        loaded += rows.len();
        progress.set(loaded as u64);
    }
    progress.finish();
    // The text index is filled by the service's own backfill when it starts
    // (`app::prepare_database`), as for a database from before the index.
    db.write_blocking(|conn| Ok(db::search::mark_for_backfill(conn)?))?;
    let progress = Progress::spinner("building the rollups, the planner's statistics and the visibility map");
    db.write_blocking(|conn| Ok(db::rollups::rebuild(conn)?))?;
    // Outside a transaction: PostgreSQL does not vacuum inside one.
    db::refresh_statistics(&mut *db.pool().get()?)?;
    progress.finish();
    Ok(())
}
