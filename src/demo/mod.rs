//! `casedesk demo`: a realistic county — departments, staff of every role,
//! two years of history (2023 and 2024) from which the 2024 report reproduces
//! the figures of the office's own 2024 report, and the county's work since
//! 2025 up to the moment the demo is loaded (`living`): cases arriving every
//! day at the county's rate, most closed and rated, some published, and open
//! ones in every queue of the workbench. Every case is registered and handled
//! through the same workflow the API uses, at the time each step happened.
//! Deterministic: the same seed and the same moment give the same county.

mod living;

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::auth::password;
use crate::db::models::{Channel, NewDepartment, NewUser};
use crate::db::{self, Db, DbConnection};
use crate::domain::actions::{ActionBody, AssignBody, CallbackBody, NoteBody, ReasonBody, ReplyBody};
use crate::domain::calendar::{Calendar, Clock};
use crate::domain::callback::CallbackMethod;
use crate::domain::citizen::CitizenInput;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::intake::{NewCaseInput, ReceivedAt};
use crate::domain::lifecycle::Actor;
use crate::domain::rating::Rating;
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::progress::Progress;
use crate::service::access::Caller;
use crate::service::cases::{self as workflow, Registrar};

/// Departments of the demo county: name, code, and the categories they handle.
const DEPARTMENTS: &[(&str, &str, &[&str])] = &[
    ("县教育局", "EDU", &["教育"]),
    ("县住房和城乡建设局", "HOUSING", &["住房", "物业"]),
    ("县人力资源和社会保障局", "HRSS", &["社保", "劳动纠纷"]),
    ("县卫生健康局", "HEALTH", &["医疗"]),
    ("县交通运输局", "TRANSPORT", &["交通"]),
    ("县生态环境分局", "ECO", &["环境"]),
    ("县城市管理局", "URBAN", &["市容", "噪音"]),
    ("县市场监督管理局", "MARKET", &["市场监管"]),
    ("县民政局", "CIVIL", &["民政"]),
    ("县农业农村局", "AGRI", &["农业"]),
    ("县自然资源局", "LAND", &["土地"]),
    ("县水利局", "WATER", &["水利"]),
    ("县公安局", "POLICE", &["治安", "户籍"]),
    ("县发展和改革局", "DRC", &["发展规划"]),
    ("县政府办公室", "OFFICE", &["政务公开"]),
];

const PLACES: &[&str] = &[
    "城关镇",
    "新华路",
    "幸福小区",
    "东门街道",
    "河西村",
    "工业园区",
    "人民路",
    "滨河花园",
    "北关社区",
    "南湖镇",
    "红星村",
    "文化路",
    "县第二中学附近",
    "火车站片区",
    "青山镇",
    "城南新区",
];

/// Title templates per category; `{}` is a place.
fn titles(category: &str) -> &'static [&'static str] {
    match category {
        "教育" => &["关于{}学校学位紧张的问题", "反映{}幼儿园收费偏高", "建议{}增设校车线路"],
        "住房" => &["{}保障性住房申请进度咨询", "反映{}房屋漏水无人维修", "{}老旧小区改造诉求"],
        "物业" => &["{}物业服务不到位", "反映{}物业乱收费"],
        "社保" => &["{}养老保险转移接续问题", "咨询{}医保异地报销", "反映{}社保卡办理缓慢"],
        "劳动纠纷" => &["{}工地拖欠农民工工资", "反映{}企业未签劳动合同"],
        "医疗" => &["{}卫生院就医排队时间长", "反映{}药店价格问题", "建议{}增设社区卫生服务站"],
        "交通" => &["{}公交班次太少", "反映{}道路破损严重", "{}路口红绿灯设置不合理"],
        "环境" => &["{}企业排放异味", "反映{}河道污染", "{}垃圾焚烧扰民"],
        "市容" => &["{}占道经营问题", "反映{}路灯不亮", "{}违章搭建"],
        "噪音" => &["{}夜间施工噪音扰民", "反映{}广场舞噪音"],
        "市场监管" => &["{}超市销售过期食品", "反映{}商户缺斤少两"],
        "民政" => &["{}低保申请咨询", "反映{}养老院服务问题"],
        "农业" => &["{}农业补贴发放问题", "反映{}农田灌溉困难"],
        "土地" => &["{}宅基地审批进度", "反映{}土地征收补偿"],
        "水利" => &["{}自来水水压不足", "反映{}排水不畅"],
        "治安" => &["{}夜间治安巡逻不足", "反映{}电动车被盗"],
        "户籍" => &["{}户口迁移办理咨询", "反映{}身份证补办缓慢"],
        "发展规划" => &["关于{}产业发展的建议", "{}项目规划咨询"],
        "政务公开" => &["申请公开{}征收补偿方案", "申请公开{}建设项目审批文件"],
        _ => &["关于{}的问题"],
    }
}

/// How one channel's cases of one year are made: counts, handling time and ratings.
struct ChannelYear {
    channel: &'static str,
    year: i32,
    received: usize,
    closed: usize,
    /// Exact mean handling time in hundredths of a day, when the report states it.
    mean_days_hundredths: Option<i64>,
    /// Typical handling time in days when no exact mean is needed.
    typical_days: f64,
    /// (satisfied, basically satisfied, unsatisfied) among the closed cases.
    ratings: (usize, usize, usize),
    /// Result ratings of two-dimension channels.
    result_ratings: Option<(usize, usize, usize)>,
    /// Cases refused as spam or duplicates (not counted).
    invalid: usize,
    /// Closed cases that went through an unsatisfied rating and re-handling first.
    reopened: usize,
}

fn plan() -> Vec<ChannelYear> {
    let c = |channel, year, received, closed, mean, typical, ratings, invalid, reopened| ChannelYear {
        channel,
        year,
        received,
        closed,
        mean_days_hundredths: mean,
        typical_days: typical,
        ratings,
        result_ratings: None,
        invalid,
        reopened,
    };
    let mut suggestions_2024 = c("suggestion", 2024, 436, 436, None, 60.0, (420, 16, 0), 0, 0);
    suggestions_2024.result_ratings = Some((401, 35, 0));
    let mut suggestions_2023 = c("suggestion", 2023, 416, 416, None, 65.0, (398, 18, 0), 0, 0);
    suggestions_2023.result_ratings = Some((380, 34, 2));
    vec![
        // 公开信箱: 225 received, 223 closed, 99.4% satisfied, 4.3 days faster than 2023.
        c("mailbox", 2023, 198, 196, Some(1250), 12.5, (128, 20, 2), 4, 2),
        c("mailbox", 2024, 225, 223, Some(820), 8.2, (150, 16, 1), 6, 3),
        // 民呼我为: 3878 / 3836, 98.92%, composite 90.47%.
        c("minhu", 2023, 3512, 3449, None, 7.5, (2650, 480, 319), 25, 20),
        c("minhu", 2024, 3878, 3836, None, 6.4, (3068, 503, 265), 31, 24),
        // 中国政府网网民留言: all closed.
        c("gov_web", 2023, 15, 15, None, 9.0, (0, 0, 0), 0, 0),
        c("gov_web", 2024, 20, 20, None, 8.0, (0, 0, 0), 0, 0),
        // 政府信息公开申请: all closed.
        c("disclosure", 2023, 9, 9, None, 14.0, (0, 0, 0), 0, 0),
        c("disclosure", 2024, 11, 11, None, 12.0, (0, 0, 0), 0, 0),
        suggestions_2023,
        suggestions_2024,
    ]
}

/// Handling times in seconds for `n` cases: random around the typical time,
/// adjusted so that their mean is exactly `mean_hundredths` of a day when given.
fn durations(rng: &mut StdRng, n: usize, typical_days: f64, mean_hundredths: Option<i64>) -> Vec<i64> {
    let day = 86_400.0;
    let mut values: Vec<i64> =
        (0..n).map(|_| (typical_days * rng.random_range(0.35..1.65) * day) as i64).collect();
    if let Some(mean) = mean_hundredths {
        let target = mean * n as i64 * 864; // hundredths of a day → seconds
        let difference = target - values.iter().sum::<i64>();
        let share = difference / n as i64;
        for v in &mut values {
            *v += share;
        }
        values[0] += difference - share * n as i64;
    }
    for v in &mut values {
        *v = (*v).max(3 * 3600);
    }
    values
}

/// Accounts the demo creates, with their passwords, for printing.
pub struct DemoLogin {
    /// Login name.
    pub username: String,
    pub role: Role,
    /// What the account is.
    pub description: String,
    /// Password (shown once).
    pub password: String,
}

/// What the demo loaded.
pub struct DemoSummary {
    /// Accounts to log in with.
    pub logins: Vec<DemoLogin>,
    /// Cases registered.
    pub cases: usize,
    /// Of those, received from 2025 on (the living part).
    pub recent: usize,
}

/// The first moment the demo can be loaded at: its history runs to the end of 2024.
pub fn earliest() -> NaiveDateTime {
    time::start_of_office_day(NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date"))
}

/// Whether the database holds no cases and no departments yet.
pub fn is_empty(conn: &mut DbConnection) -> Result<bool, AppError> {
    Ok(!db::cases::any(conn)? && db::departments::count(conn)? == 0)
}

/// Loads the demo county into an empty database as it stands at `now` (a
/// moment from 2025 on, normally the present), printing progress to stderr.
pub fn load(db: &Db, now: NaiveDateTime) -> Result<DemoSummary, AppError> {
    if now < earliest() {
        return Err(AppError::BadRequest(
            "the demo's history runs to the end of 2024: load it as of a day from 2025 on".into(),
        ));
    }
    let mut rng = StdRng::seed_from_u64(20_241_231);
    if !db.write_blocking(is_empty)? {
        return Err(AppError::Conflict(
            "the database already holds departments or cases; the demo needs an empty one".into(),
        ));
    }
    let (departments, logins, clerk, leader) = staff(db)?;
    let history: Vec<Vec<HistoryCase>> =
        plan().iter().map(|year| prepare_channel_year(&mut rng, year, &departments)).collect();
    let total = run_units(db, "2023–2024".into(), history, |conn, (calendar, channels), case| {
        let channel = workflow::channel_of(channels, case.channel)?;
        handle_case(conn, (calendar, channel), case, &departments, clerk)
    })?;
    let recent = living::load(db, now, &departments, living::Office { clerk, leader })?;
    // Registered as intake registers, the letters were queued for the text index.
    crate::indexer::drain(db)?;
    // What happened before `now` happened: nobody is to be mailed about it.
    db.write_blocking(|conn| Ok(db::outbox::clear(conn)?))?;
    Ok(DemoSummary { logins, cases: total + recent, recent })
}

/// A department with its handler.
struct DemoDepartment {
    id: DepartmentId,
    handler: UserId,
    categories: &'static [&'static str],
}

fn staff(db: &Db) -> Result<(Vec<DemoDepartment>, Vec<DemoLogin>, UserId, UserId), AppError> {
    let mut logins = Vec::new();
    let mut accounts = Vec::new();
    let mut add = |username: &str, role: Role, name: &str, department: Option<usize>, description: String| {
        let password = password::generate();
        accounts.push((username.to_owned(), role, name.to_owned(), department, password.clone()));
        logins.push(DemoLogin { username: username.to_owned(), role, description, password });
    };
    add("zhangli", Role::Clerk, "张丽", None, "登记/交办 clerk".into());
    add("wangjun", Role::Leader, "王军", None, "office leader".into());
    for (i, (name, code, _)) in DEPARTMENTS.iter().enumerate() {
        let username = format!("{}-handler", code.to_ascii_lowercase());
        add(&username, Role::Handler, &format!("{name}承办人"), Some(i), format!("handler of {name}"));
    }
    let hashed: Vec<_> = accounts
        .into_iter()
        .map(|(u, r, n, d, p)| password::hash(&p).map(|h| (u, r, n, d, h)).map_err(AppError::Internal))
        .collect::<Result<_, _>>()?;
    db.write_blocking(move |conn| {
        let now = time::now_utc();
        let mut department_ids = Vec::new();
        for (name, code, _) in DEPARTMENTS {
            department_ids.push(db::departments::insert(
                conn,
                &NewDepartment {
                    name: (*name).into(),
                    code: (*code).into(),
                    email: Some(format!("{}@county.gov.cn", code.to_ascii_lowercase())),
                    active: true,
                    created_at: now,
                    updated_at: now,
                },
            )?);
        }
        let mut departments = Vec::new();
        let (mut clerk, mut leader) = (UserId(0), UserId(0));
        for (username, role, display_name, department, hash) in hashed {
            let id = db::users::insert(
                conn,
                &NewUser {
                    username,
                    password_hash: hash,
                    display_name,
                    role,
                    department_id: department.map(|i| department_ids[i]),
                    email: None,
                    active: true,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            match (role, department) {
                (Role::Clerk, _) => clerk = id,
                (Role::Leader, _) => leader = id,
                (Role::Handler, Some(i)) => departments.push(DemoDepartment {
                    id: department_ids[i],
                    handler: id,
                    categories: DEPARTMENTS[i].2,
                }),
                _ => {}
            }
        }
        Ok((departments, logins, clerk, leader))
    })
}

fn random_instant_in(rng: &mut StdRng, first: NaiveDate, days: i64) -> NaiveDateTime {
    let day = first + Duration::days(rng.random_range(0..days));
    let at = day.and_time(
        NaiveTime::from_hms_opt(rng.random_range(8..18), rng.random_range(0..60), 0)
            .unwrap_or(NaiveTime::MIN),
    );
    time::to_storage(at.and_local_timezone(time::office_offset()).single().expect("fixed offset"))
}

#[derive(Clone, Copy)]
enum Outcome {
    Closed { seconds: i64, rating: Option<Rating>, result: Option<Rating>, reopened: bool },
    Open,
    Invalid,
}

/// One case of the history, drawn and ready to register.
struct HistoryCase {
    channel: &'static str,
    input: NewCaseInput,
    department: usize,
    outcome: Outcome,
    received: NaiveDateTime,
}

/// Draws one channel's cases of one year, in order of receipt.
fn prepare_channel_year(
    rng: &mut StdRng,
    plan: &ChannelYear,
    departments: &[DemoDepartment],
) -> Vec<HistoryCase> {
    let first = NaiveDate::from_ymd_opt(plan.year, 1, 1).expect("valid year");
    let (s, b, u) = plan.ratings;
    let mut ratings: Vec<Option<Rating>> = std::iter::repeat_n(Some(Rating::Satisfied), s)
        .chain(std::iter::repeat_n(Some(Rating::BasicallySatisfied), b))
        .chain(std::iter::repeat_n(Some(Rating::Unsatisfied), u))
        .chain(std::iter::repeat_n(None, plan.closed - (s + b + u)))
        .collect();
    ratings.shuffle(rng);
    let mut results: Vec<Option<Rating>> = match plan.result_ratings {
        Some((s, b, u)) => std::iter::repeat_n(Some(Rating::Satisfied), s)
            .chain(std::iter::repeat_n(Some(Rating::BasicallySatisfied), b))
            .chain(std::iter::repeat_n(Some(Rating::Unsatisfied), u))
            .collect(),
        None => vec![None; plan.closed],
    };
    results.shuffle(rng);
    let seconds = durations(rng, plan.closed, plan.typical_days, plan.mean_days_hundredths);
    let mut outcomes: Vec<(NaiveDateTime, Outcome)> = Vec::new();
    for i in 0..plan.closed {
        let received = random_instant_in(rng, first, 330);
        let rating = ratings[i];
        // Only satisfied-in-the-end cases went through a first unsatisfied round.
        let reopened = i < plan.reopened && rating.is_some_and(|r| r != Rating::Unsatisfied);
        outcomes
            .push((received, Outcome::Closed { seconds: seconds[i], rating, result: results[i], reopened }));
    }
    let late_december = NaiveDate::from_ymd_opt(plan.year, 12, 20).expect("valid date");
    for _ in plan.closed..plan.received {
        outcomes.push((random_instant_in(rng, late_december, 11), Outcome::Open));
    }
    for _ in 0..plan.invalid {
        outcomes.push((random_instant_in(rng, first, 360), Outcome::Invalid));
    }
    outcomes.sort_by_key(|(received, _)| *received);
    outcomes
        .into_iter()
        .enumerate()
        .map(|(position, (received, outcome))| {
            let department = rng.random_range(0..departments.len());
            let input = case_input(rng, plan.channel, &departments[department], received, position);
            HistoryCase { channel: plan.channel, input, department, outcome, received }
        })
        .collect()
}

/// Runs every unit's cases through `run`, 200 to a transaction, and returns
/// how many there were. A unit is one channel's cases of one year in order of
/// receipt, so that its tracking numbers follow that order. Units share no row
/// (tracking counters and rollups are per channel and year): on PostgreSQL two
/// run at once, on two connections, so that the server's work on one overlaps
/// the loader's on the other (case ids then interleave); SQLite has one writer
/// anyway and takes them in turn.
fn run_units<C: Send>(
    db: &Db,
    label: String,
    units: Vec<Vec<C>>,
    run: impl Fn(&mut DbConnection, (&Calendar, &[Channel]), C) -> Result<(), AppError> + Sync,
) -> Result<usize, AppError> {
    let total: usize = units.iter().map(Vec::len).sum();
    let progress = Progress::counted(label, total as u64, "cases");
    let done = AtomicUsize::new(0);
    let queue = parking_lot::Mutex::new(units.into_iter());
    let failed: parking_lot::Mutex<Option<AppError>> = parking_lot::Mutex::new(None);
    let threads = match db.backend() {
        db::Backend::Postgres => 2,
        db::Backend::Sqlite => 1,
    };
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while failed.lock().is_none() {
                    let Some(unit) = queue.lock().next() else { return };
                    let mut cases = unit.into_iter().peekable();
                    while cases.peek().is_some() {
                        let batch: Vec<C> = cases.by_ref().take(200).collect();
                        let size = batch.len();
                        let written = db.write_blocking(|conn| {
                            let (calendar, channels) = (db.calendar(conn)?, db.channels(conn)?);
                            for case in batch {
                                run(conn, (&calendar, &channels), case)?;
                            }
                            Ok(())
                        });
                        if let Err(error) = written {
                            failed.lock().get_or_insert(error);
                            return;
                        }
                        progress.set((done.fetch_add(size, Ordering::Relaxed) + size) as u64);
                    }
                }
            });
        }
    });
    progress.finish();
    match failed.into_inner() {
        Some(error) => Err(error),
        None => Ok(total),
    }
}

fn case_input(
    rng: &mut StdRng,
    channel: &str,
    department: &DemoDepartment,
    received: NaiveDateTime,
    position: usize,
) -> NewCaseInput {
    let category = if channel == "suggestion" {
        // Alternately from NPC deputies and CPPCC members: 218 of each in 2024.
        crate::report::SUGGESTION_CATEGORIES[position % 2]
    } else {
        department.categories[rng.random_range(0..department.categories.len())]
    };
    let topic = if channel == "suggestion" {
        department.categories[rng.random_range(0..department.categories.len())]
    } else {
        category
    };
    let templates = titles(topic);
    let place = PLACES[rng.random_range(0..PLACES.len())];
    let title = templates[rng.random_range(0..templates.len())].replace("{}", place);
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
    let given = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇"];
    let name = format!("{}{}", surnames[rng.random_range(0..10)], given[rng.random_range(0..10)]);
    NewCaseInput {
        channel: channel.into(),
        content: format!(
            "{title}。具体情况：{place}一带群众多次反映此事，希望有关部门尽快核实处理并予以答复。"
        ),
        title,
        received_at: Some(ReceivedAt::Rfc3339(time::to_office(received).to_rfc3339())),
        external_ref: None,
        category: Some(category.into()),
        is_public: Some(rng.random_bool(0.3)),
        citizen: Some(CitizenInput {
            name: Some(name),
            phone: Some(format!("13{}{:08}", rng.random_range(0..10), rng.random_range(0..100_000_000))),
            email: None,
            address: Some(format!("本县{place}")),
        }),
    }
}

fn handle_case(
    conn: &mut DbConnection,
    (calendar, channel): (&Calendar, &Channel),
    case: HistoryCase,
    departments: &[DemoDepartment],
    clerk_id: UserId,
) -> Result<(), AppError> {
    let HistoryCase { channel: code, input, department, outcome, received } = case;
    let department = &departments[department];
    let clerk = Caller { actor: Actor::Staff(Role::Clerk), user_id: Some(clerk_id), department_id: None };
    let handler = Caller {
        actor: Actor::Staff(Role::Handler),
        user_id: Some(department.handler),
        department_id: Some(department.id),
    };
    let registered_at = received + Duration::minutes(5);
    let new = input.validate(registered_at, |_| true)?;
    let clock = Clock { calendar, now: registered_at };
    let (case, _) = workflow::register_in(conn, &new, channel, Registrar::Staff(clerk_id), clock)?;
    let id = case.id;
    let mut act = |acting: Caller, body: ActionBody, at: NaiveDateTime| {
        workflow::act_in(conn, id, &acting, body.into(), None, Clock { calendar, now: at }).map(drop)
    };
    let reason = |text: &str| ReasonBody { reason: Some(text.into()) };
    let (seconds, rating, result, reopened) = match outcome {
        Outcome::Invalid => {
            return act(
                clerk,
                ActionBody::Invalidate(reason("重复来信或内容与本机关职责无关")),
                received + Duration::hours(1),
            )
        }
        Outcome::Open => (None, None, None, false),
        Outcome::Closed { seconds, rating, result, reopened } => (Some(seconds), rating, result, reopened),
    };
    let span = Duration::seconds(seconds.unwrap_or(4 * 86_400));
    let at = |fraction: f64| received + Duration::seconds((span.num_seconds() as f64 * fraction) as i64);
    let assign = AssignBody { department_id: Some(department.id), note: None };
    act(clerk, ActionBody::Assign(assign), at(0.04))?;
    act(handler, ActionBody::Accept(NoteBody::default()), at(0.08))?;
    let Some(_) = seconds else {
        return Ok(());
    };
    let reply = |text: &str| ActionBody::Reply(ReplyBody { reply: Some(text.into()) });
    // The office's ratings are its 回访: the clerk calls the citizen back
    // after each closure and records what they said.
    let rate = |rating: Rating, result: Option<Rating>| {
        ActionBody::Callback(CallbackBody {
            reached: Some(true),
            method: Some(CallbackMethod::Phone),
            rating: Some(rating),
            result_rating: if code == "suggestion" { result.or(Some(Rating::Satisfied)) } else { None },
            resolved: Some(!rating.is_poor()),
            comment: None,
        })
    };
    let approve = || ActionBody::Approve(NoteBody::default());
    if reopened {
        act(handler, reply("经核实，已初步处理。"), at(0.45))?;
        act(clerk, approve(), at(0.5))?;
        act(clerk, rate(Rating::Unsatisfied, Some(Rating::Unsatisfied)), at(0.52))?;
        act(clerk, ActionBody::Reopen(reason("回访不满意，重新办理")), at(0.55))?;
    }
    act(handler, reply("经核实，已按有关规定处理并答复来信人。"), at(0.95))?;
    act(clerk, approve(), at(1.0))?;
    if let Some(rating) = rating {
        act(clerk, rate(rating, result), at(1.0) + Duration::hours(26))?;
    }
    Ok(())
}
