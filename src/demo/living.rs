//! The demo county's work since 2025, up to the moment the demo is loaded, so
//! that a leader who opens the dashboard sees this year's figures beside last
//! year's, and every workbench queue holds cases to act on.
//!
//! Cases arrive every day at the county's rate (its 2024 volume: online
//! channels on every day, fewer at weekends; disclosure applications on
//! working days; deputies' suggestions after the spring sessions). Each gets a
//! whole history planned — assignment, signing for, sometimes an extension or
//! a reply sent back, the reply, approval, a callback or the citizen's own
//! rating, publication — and only the steps before `now` are taken, so the
//! cases received lately stand wherever their history has reached. A few
//! cases per department are placed relative to `now` so that each queue has
//! work whatever the day: 待分办, 待签收, 办理中, 即将到期, 被驳回, 待审核,
//! 延期申请 and 已超期 (from mid-February 2025 on: nothing is placed before
//! 2025), and a few answered on the spot today.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{case_input, DemoDepartment};
use crate::db::models::Channel;
use crate::db::{Db, DbConnection};
use crate::domain::actions::{
    ActionBody, AssignBody, CallbackBody, ExtensionDecisionBody, ExtensionRequestBody, NoteBody, RateBody,
    ReasonBody, ReplyBody,
};
use crate::domain::calendar::{Calendar, Clock};
use crate::domain::callback::CallbackMethod;
use crate::domain::ids::UserId;
use crate::domain::intake::NewCaseInput;
use crate::domain::lifecycle::Actor;
use crate::domain::rating::Rating;
use crate::domain::role::Role;
use crate::domain::time;
use crate::error::AppError;
use crate::service::access::Caller;
use crate::service::cases::{self as workflow, Registrar};

/// The office's own accounts that act on cases.
#[derive(Debug, Clone, Copy)]
pub(super) struct Office {
    /// Registers, routes, reviews, calls back and publishes.
    pub clerk: UserId,
    /// Decides extensions.
    pub leader: UserId,
}

/// When a channel's cases arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arrival {
    /// Written online at any hour of any day, fewer at weekends and on holidays.
    Online,
    /// Handed in at the office on working days.
    OfficeDays,
    /// Deputies' suggestions, handed over after the spring sessions (working
    /// days from 5 March to 15 April).
    Session,
}

/// How one channel's cases come and are handled since 2025.
struct Flow {
    channel: &'static str,
    /// Cases received in a year, at the volume of the office's 2024 report.
    per_year: f64,
    /// Share refused as spam or out of scope (not counted as received).
    invalid: f64,
    arrival: Arrival,
    /// Typical days from receipt to closure.
    typical_days: f64,
    /// Share that runs past its due date.
    late: f64,
    /// Share whose department asks for more time.
    extension: f64,
    /// Share whose first reply the office sends back.
    rejected: f64,
    /// Share of closed cases rated.
    rated: f64,
    /// Of the ratings, the share 满意 and the share 基本满意 (the rest 不满意).
    satisfied: (f64, f64),
    /// Of the rated cases, the share re-handled after an unsatisfied callback.
    reopened: f64,
}

const FLOWS: [Flow; 5] = [
    Flow {
        channel: "mailbox",
        per_year: 225.0,
        invalid: 0.026,
        arrival: Arrival::Online,
        typical_days: 8.2,
        late: 0.02,
        extension: 0.04,
        rejected: 0.05,
        rated: 0.75,
        satisfied: (0.88, 0.10),
        reopened: 0.015,
    },
    Flow {
        channel: "minhu",
        per_year: 3878.0,
        invalid: 0.008,
        arrival: Arrival::Online,
        typical_days: 6.4,
        late: 0.012,
        extension: 0.03,
        rejected: 0.05,
        rated: 0.9,
        satisfied: (0.80, 0.13),
        reopened: 0.006,
    },
    Flow {
        channel: "gov_web",
        per_year: 20.0,
        invalid: 0.0,
        arrival: Arrival::Online,
        typical_days: 8.0,
        late: 0.0,
        extension: 0.05,
        rejected: 0.05,
        rated: 0.0,
        satisfied: (1.0, 0.0),
        reopened: 0.0,
    },
    Flow {
        channel: "disclosure",
        per_year: 11.0,
        invalid: 0.0,
        arrival: Arrival::OfficeDays,
        typical_days: 12.0,
        late: 0.0,
        extension: 0.2,
        rejected: 0.0,
        rated: 0.0,
        satisfied: (1.0, 0.0),
        reopened: 0.0,
    },
    Flow {
        channel: "suggestion",
        per_year: 436.0,
        invalid: 0.0,
        arrival: Arrival::Session,
        typical_days: 60.0,
        late: 0.0,
        extension: 0.0,
        rejected: 0.0,
        rated: 1.0,
        satisfied: (0.95, 0.05),
        reopened: 0.0,
    },
];

/// Who takes a step.
#[derive(Debug, Clone, Copy)]
enum Who {
    Clerk,
    Leader,
    Handler,
    /// The citizen, on the look-up page with the query code.
    Citizen,
}

/// One step of a case's history.
struct Step {
    at: NaiveDateTime,
    who: Who,
    body: ActionBody,
}

/// A case as it will be registered and handled.
struct Planned {
    received: NaiveDateTime,
    channel: &'static str,
    department: usize,
    input: NewCaseInput,
    steps: Vec<Step>,
}

/// The calendar and the moment of loading, with the times the office works.
struct Days<'a> {
    calendar: &'a Calendar,
    now: NaiveDateTime,
}

fn office_instant(day: NaiveDate, hour: u32, minute: u32) -> NaiveDateTime {
    let at = day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN));
    time::to_storage(at.and_local_timezone(time::office_offset()).single().expect("fixed offset"))
}

impl Days<'_> {
    /// `at` if the office is open then (a working day, 8:30 to 17:30 Beijing
    /// time), else soon after it opens next.
    fn office_after(&self, rng: &mut StdRng, at: NaiveDateTime) -> NaiveDateTime {
        let local = time::to_office(at).naive_local();
        let (day, clock) = (local.date(), local.time());
        let opens = NaiveTime::from_hms_opt(8, 30, 0).expect("valid time");
        let closes = NaiveTime::from_hms_opt(17, 30, 0).expect("valid time");
        if self.calendar.is_workday(day) && clock >= opens && clock < closes {
            return at;
        }
        let next = if self.calendar.is_workday(day) && clock < opens {
            day
        } else {
            self.calendar.on_or_next_workday(day + Duration::days(1))
        };
        office_instant(next, 8, 30) + Duration::minutes(rng.random_range(0..120))
    }

    /// When the office acts on something that came at `from`: after a delay
    /// drawn from `minutes`, in office hours.
    fn later(&self, rng: &mut StdRng, from: NaiveDateTime, minutes: std::ops::Range<i64>) -> NaiveDateTime {
        let delay = Duration::minutes(rng.random_range(minutes));
        self.office_after(rng, from + delay)
    }

    /// How much a day counts in `arrival`'s yearly volume.
    fn weight(&self, arrival: Arrival, day: NaiveDate) -> f64 {
        let workday = self.calendar.is_workday(day);
        match arrival {
            Arrival::Online if workday => 1.0,
            Arrival::Online => 0.4,
            Arrival::OfficeDays => f64::from(u8::from(workday)),
            Arrival::Session => {
                let first = NaiveDate::from_ymd_opt(day.year(), 3, 5).expect("valid date");
                let last = NaiveDate::from_ymd_opt(day.year(), 4, 15).expect("valid date");
                f64::from(u8::from(workday && (first..=last).contains(&day)))
            }
        }
    }

    /// The sum of a year's weights, so a year's cases come to the flow's volume.
    fn year_weight(&self, arrival: Arrival, year: i32) -> f64 {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid year");
        first.iter_days().take_while(|d| d.year() == year).map(|d| self.weight(arrival, d)).sum()
    }
}

/// A draw among 满意, 基本满意 and 不满意.
fn draw_rating(rng: &mut StdRng, (satisfied, basically): (f64, f64)) -> Rating {
    let x: f64 = rng.random();
    if x < satisfied {
        Rating::Satisfied
    } else if x < satisfied + basically {
        Rating::BasicallySatisfied
    } else {
        Rating::Unsatisfied
    }
}

fn reply(text: &str) -> ActionBody {
    ActionBody::Reply(ReplyBody { reply: Some(text.into()) })
}

fn reason(text: &str) -> ReasonBody {
    ReasonBody { reason: Some(text.into()) }
}

fn assign(days: &[DemoDepartment], department: usize) -> ActionBody {
    ActionBody::Assign(AssignBody { department_id: Some(days[department].id), note: None })
}

fn rate(rating: Rating, result: Option<Rating>, comment: Option<&str>) -> ActionBody {
    ActionBody::Rate(RateBody {
        rating: Some(rating),
        result_rating: result,
        comment: comment.map(Into::into),
        resolved: Some(!rating.is_poor()),
    })
}

/// A case's whole planned history, from its receipt to its rating and
/// publication; the caller keeps the steps before `now`.
fn history(
    rng: &mut StdRng,
    days: &Days<'_>,
    flow: &Flow,
    received: NaiveDateTime,
    department: (&[DemoDepartment], usize),
    is_public: bool,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let push = |steps: &mut Vec<Step>, at: NaiveDateTime, who: Who, body: ActionBody| {
        // Each step after the one before it, whatever the draws.
        let after =
            steps.last().map_or(received + Duration::minutes(6), |s: &Step| s.at + Duration::minutes(1));
        steps.push(Step { at: at.max(after), who, body });
    };
    if rng.random_bool(flow.invalid) {
        let at = days.later(rng, received, 20..240);
        push(&mut steps, at, Who::Clerk, ActionBody::Invalidate(reason("重复来信或内容与本机关职责无关")));
        return steps;
    }
    let late = rng.random_bool(flow.late);
    let limit_days = match flow.channel {
        "suggestion" => 91.0,
        "disclosure" => 28.0,
        _ => 21.0,
    };
    let span_days = if late {
        limit_days * rng.random_range(1.05..1.6)
    } else {
        (flow.typical_days * rng.random_range(0.35..1.65)).max(0.2)
    };
    let target = received + Duration::seconds((span_days * 86_400.0) as i64);
    let assigned = days.later(rng, received, 10..180);
    push(&mut steps, assigned, Who::Clerk, assign(department.0, department.1));
    let accepted = days.later(rng, assigned, 30..1200);
    push(&mut steps, accepted, Who::Handler, ActionBody::Accept(NoteBody::default()));
    let ahead = Duration::hours(rng.random_range(4..30));
    let mut replied = days.office_after(rng, (target - ahead).max(accepted));
    let between = |from: NaiveDateTime, to: NaiveDateTime, share: f64| {
        from + Duration::seconds(((to - from).num_seconds().max(3600) as f64 * share) as i64)
    };
    if rng.random_bool(flow.extension) {
        let asked = days.office_after(rng, between(accepted, replied, 0.35));
        let body = ExtensionRequestBody {
            days: Some(rng.random_range(5..=10)),
            reason: Some("需协调多个部门共同核实".into()),
        };
        push(&mut steps, asked, Who::Handler, ActionBody::RequestExtension(body));
        let decided = days.later(rng, asked, 180..1680);
        let decision = ExtensionDecisionBody { approve: Some(rng.random_bool(0.9)), note: None };
        push(&mut steps, decided, Who::Leader, ActionBody::DecideExtension(decision));
        replied = replied.max(days.later(rng, decided, 240..2880));
    } else if rng.random_bool(flow.rejected) {
        let first = days.office_after(rng, between(accepted, replied, 0.5));
        push(&mut steps, first, Who::Handler, reply("已转相关科室了解情况。"));
        let sent_back = days.later(rng, first, 120..1200);
        push(
            &mut steps,
            sent_back,
            Who::Clerk,
            ActionBody::RejectReply(reason("答复未回应来信人的具体诉求，请补充办理结果")),
        );
        replied = replied.max(days.later(rng, sent_back, 240..2880));
    }
    push(&mut steps, replied, Who::Handler, reply("经核实，已按有关规定处理并答复来信人。"));
    let closed = days.later(rng, replied, 60..1440);
    push(&mut steps, closed, Who::Clerk, ActionBody::Approve(NoteBody::default()));
    let two_dimensions = flow.channel == "suggestion";
    let mut closed_at = closed;
    if rng.random_bool(flow.rated) {
        if rng.random_bool(flow.reopened) {
            let called = days.later(rng, closed, 1200..3000);
            push(&mut steps, called, Who::Clerk, rate(Rating::Unsatisfied, None, Some("问题没有解决")));
            let reopened = days.later(rng, called, 60..1440);
            push(&mut steps, reopened, Who::Clerk, ActionBody::Reopen(reason("回访不满意，重新办理")));
            let again = days.later(rng, reopened, 2880..7200);
            push(&mut steps, again, Who::Handler, reply("经再次核实，问题已解决并与来信人沟通。"));
            closed_at = days.later(rng, again, 60..1200);
            push(&mut steps, closed_at, Who::Clerk, ActionBody::Approve(NoteBody::default()));
        }
        let rating = draw_rating(rng, flow.satisfied);
        let result = two_dimensions.then(|| draw_rating(rng, flow.satisfied));
        if flow.channel == "mailbox" && rng.random_bool(0.5) {
            // The citizen rates on the look-up page, at any hour.
            let at = closed_at + Duration::hours(rng.random_range(2..96));
            push(&mut steps, at, Who::Citizen, rate(rating, None, Some("感谢答复")));
        } else {
            let at = days.later(rng, closed_at, 1080..4320);
            push(&mut steps, at, Who::Clerk, rate(rating, result, None));
        }
    }
    // 信件选登 publishes letters to the public mailbox whose writers agreed.
    if flow.channel == "mailbox" && is_public && rng.random_bool(0.7) {
        let at = days.later(rng, closed_at, 240..4320);
        push(&mut steps, at, Who::Clerk, ActionBody::Publish(NoteBody::default()));
    }
    steps
}

/// Every case received from `first` up to `now`, in order of receipt.
fn arrivals(
    rng: &mut StdRng,
    days: &Days<'_>,
    first: NaiveDate,
    departments: &[DemoDepartment],
) -> Vec<Planned> {
    let today = time::office_date(days.now);
    let mut planned = Vec::new();
    for flow in &FLOWS {
        let mut owed = 0.0;
        let mut year_weight = (0, 0.0);
        let mut position = 0;
        for day in first.iter_days().take_while(|d| *d <= today) {
            if year_weight.0 != day.year() {
                year_weight = (day.year(), days.year_weight(flow.arrival, day.year()));
                position = 0;
            }
            let expected = flow.per_year * days.weight(flow.arrival, day) / year_weight.1.max(1.0);
            owed += expected * rng.random_range(0.6..1.4);
            while owed >= 1.0 {
                owed -= 1.0;
                let (from, to) = match flow.arrival {
                    Arrival::Online => (7 * 60, 22 * 60),
                    Arrival::OfficeDays | Arrival::Session => (8 * 60 + 30, 17 * 60),
                };
                let minute = rng.random_range(from..to);
                let received = office_instant(day, minute / 60, minute % 60);
                let department = rng.random_range(0..departments.len());
                let input = case_input(rng, flow.channel, &departments[department], received, position);
                position += 1;
                let is_public = input.is_public == Some(true);
                let steps = history(rng, days, flow, received, (departments, department), is_public);
                planned.push(Planned { received, channel: flow.channel, department, input, steps });
            }
        }
    }
    planned
}

/// Cases placed relative to `now`, so that every queue of the workbench has
/// work for the office and for each department, whatever the day.
fn desk(rng: &mut StdRng, days: &Days<'_>, departments: &[DemoDepartment], minhu: &Channel) -> Vec<Planned> {
    let now = days.now;
    let today = time::office_date(now);
    let mut planned = Vec::new();
    let mut add = |rng: &mut StdRng,
                   received: NaiveDateTime,
                   department: usize,
                   steps: Vec<(Duration, Who, ActionBody)>| {
        let input = case_input(rng, "minhu", &departments[department], received, 0);
        let steps =
            steps.into_iter().map(|(after, who, body)| Step { at: received + after, who, body }).collect();
        planned.push(Planned { received, channel: "minhu", department, input, steps });
    };
    let assigned = |d| (Duration::hours(1), Who::Clerk, assign(departments, d));
    let accepted = || (Duration::hours(3), Who::Handler, ActionBody::Accept(NoteBody::default()));
    // A receipt day whose case falls due on the next working day or the one
    // after (即将到期), found by the channel's own time limit.
    let due_soon_receipt = minhu.limits().and_then(|(limit, _)| {
        (1..=2).find_map(|ahead| {
            let due = days.calendar.add_workdays(today, ahead);
            (1..90).map(|back| today - Duration::days(back)).find(|r| limit.due_day(days.calendar, *r) == due)
        })
    });
    for d in 0..departments.len() {
        let h = d as i64;
        // 待签收: routed this morning, not signed for yet.
        add(rng, now - Duration::hours(5) - Duration::minutes(7 * h), d, vec![assigned(d)]);
        // 办理中: signed for three days ago.
        add(rng, now - Duration::days(3) - Duration::hours(h), d, vec![assigned(d), accepted()]);
        // 即将到期: due within two working days.
        if let Some(day) = due_soon_receipt {
            add(rng, office_instant(day, 9, 30) + Duration::minutes(7 * h), d, vec![assigned(d), accepted()]);
        }
        // 被驳回: the reply was sent back yesterday.
        add(
            rng,
            now - Duration::days(8) - Duration::hours(h),
            d,
            vec![
                assigned(d),
                accepted(),
                (Duration::days(5), Who::Handler, reply("已转相关科室了解情况。")),
                (
                    Duration::days(6),
                    Who::Clerk,
                    ActionBody::RejectReply(reason("答复未回应来信人的具体诉求，请补充办理结果")),
                ),
            ],
        );
        // 延期申请: asked for more time today, not decided yet.
        let asked =
            ExtensionRequestBody { days: Some(10), reason: Some("需协调多个部门共同核实".into()) };
        add(
            rng,
            now - Duration::days(10) - Duration::hours(h),
            d,
            vec![
                assigned(d),
                accepted(),
                (Duration::days(10) - Duration::hours(2), Who::Handler, ActionBody::RequestExtension(asked)),
            ],
        );
        if d < 5 {
            // 待审核: replied an hour ago.
            add(
                rng,
                now - Duration::days(6) - Duration::hours(h),
                d,
                vec![
                    assigned(d),
                    accepted(),
                    (
                        Duration::days(6) - Duration::hours(1),
                        Who::Handler,
                        reply("已现场核实并整改，答复来信人。"),
                    ),
                ],
            );
            // 已超期: signed for six weeks ago and still open.
            add(rng, now - Duration::days(42) - Duration::hours(h), d, vec![assigned(d), accepted()]);
        }
    }
    // 待分办: arrived within the last hours.
    for (minutes, d) in [(35, 0), (80, 4), (150, 9)] {
        add(rng, now - Duration::minutes(minutes), d, Vec::new());
    }
    // Answered on the spot today and called back, so that this year has a
    // closed, rated case from its first hour on.
    let year_began =
        time::start_of_office_day(NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("valid date"));
    let received = (now - Duration::hours(6)).max(year_began + Duration::minutes(1));
    let span = (now - received).num_seconds();
    let at = |share: f64| Duration::seconds((span as f64 * share) as i64);
    for d in [2, 7, 12] {
        add(
            rng,
            received,
            d,
            vec![
                (at(0.2), Who::Clerk, assign(departments, d)),
                (at(0.4), Who::Handler, ActionBody::Accept(NoteBody::default())),
                (at(0.6), Who::Handler, reply("已当场答复来电人并说明办理渠道。")),
                (at(0.8), Who::Clerk, ActionBody::Approve(NoteBody::default())),
                (at(0.9), Who::Clerk, rate(Rating::Satisfied, None, None)),
            ],
        );
    }
    // After closure, in three departments: a callback due (待回访), a 差评
    // from a callback that the department has to rectify (待整改), and one
    // it appealed, waiting for a leader (待复核).
    let closed = |d: usize| {
        vec![
            assigned(d),
            accepted(),
            (Duration::days(2), Who::Handler, reply("经核实，已按有关规定处理并答复来信人。")),
            (Duration::days(2) + Duration::hours(2), Who::Clerk, ActionBody::Approve(NoteBody::default())),
        ]
    };
    let unsatisfied = || CallbackBody {
        reached: Some(true),
        method: Some(CallbackMethod::Phone),
        rating: Some(Rating::Unsatisfied),
        resolved: Some(false),
        comment: Some("问题没有解决，路面仍有积水".into()),
        ..CallbackBody::default()
    };
    for d in 0..3.min(departments.len()) {
        let h = d as i64;
        add(rng, now - Duration::days(3) - Duration::hours(h), d, closed(d));
        let mut to_rectify = closed(d);
        to_rectify.push((Duration::days(3), Who::Clerk, ActionBody::Callback(unsatisfied())));
        add(rng, now - Duration::days(5) - Duration::hours(h), d, to_rectify);
        let mut appealed = closed(d);
        appealed.push((Duration::days(3), Who::Clerk, ActionBody::Callback(unsatisfied())));
        appealed.push((
            Duration::days(4),
            Who::Handler,
            ActionBody::Appeal(reason("积水路段属市政管网改造范围，不属本单位职责，已告知来信人")),
        ));
        add(rng, now - Duration::days(6) - Duration::hours(h), d, appealed);
    }
    planned
}

/// Registers `case` and takes the steps of its history that happened by `now`.
fn run_case(
    conn: &mut DbConnection,
    (calendar, channel): (&Calendar, &Channel),
    case: Planned,
    departments: &[DemoDepartment],
    office: Office,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let registered_at = case.received + Duration::minutes(5);
    let new = case.input.validate(registered_at, |_| true)?;
    // Letters to the public mailbox are written by the citizens themselves.
    let registrar = match case.channel {
        "mailbox" => Registrar::Citizen { mail_receipt: false },
        _ => Registrar::Staff(office.clerk),
    };
    let (registered, _) =
        workflow::register_in(conn, &new, channel, registrar, Clock { calendar, now: registered_at })?;
    let department = &departments[case.department];
    for step in case.steps.into_iter().take_while(|s| s.at <= now) {
        let acting = match step.who {
            Who::Clerk => {
                Caller { actor: Actor::Staff(Role::Clerk), user_id: Some(office.clerk), department_id: None }
            }
            Who::Leader => Caller {
                actor: Actor::Staff(Role::Leader),
                user_id: Some(office.leader),
                department_id: None,
            },
            Who::Handler => Caller {
                actor: Actor::Staff(Role::Handler),
                user_id: Some(department.handler),
                department_id: Some(department.id),
            },
            Who::Citizen => Caller::citizen(),
        };
        workflow::act_in(
            conn,
            registered.id,
            &acting,
            step.body.into(),
            None,
            Clock { calendar, now: step.at },
        )?;
    }
    Ok(())
}

/// Loads the county's cases received from 1 January of last year (but not
/// before 2025) up to `now`; returns how many.
pub(super) fn load(
    db: &Db,
    now: NaiveDateTime,
    departments: &[DemoDepartment],
    office: Office,
) -> Result<usize, AppError> {
    let (calendar, channels) = db.write_blocking(|conn| Ok((db.calendar(conn)?, db.channels(conn)?)))?;
    let days = Days { calendar: &calendar, now };
    let today = time::office_date(now);
    let first = NaiveDate::from_ymd_opt(today.year() - 1, 1, 1)
        .expect("valid year")
        .max(NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date"));
    let mut rng = StdRng::seed_from_u64(20_250_101);
    let mut planned = arrivals(&mut rng, &days, first, departments);
    planned.extend(desk(&mut rng, &days, departments, workflow::channel_of(&channels, "minhu")?));
    // Registered in order of receipt, so tracking numbers follow it; a case
    // that arrived in the last minutes is registered only if that is past.
    // Nothing lands before `first`: in January and February 2025 a case put
    // weeks back for the desk would change the 2024 report.
    let opened = time::start_of_office_day(first);
    planned.retain(|c| c.received >= opened && c.received + Duration::minutes(5) <= now);
    planned.sort_by_key(|c| c.received);
    // One unit per channel and year of receipt (see `run_units`).
    let mut units: Vec<((usize, i32), Vec<Planned>)> = Vec::new();
    for case in planned {
        let key = (
            FLOWS.iter().position(|f| f.channel == case.channel).unwrap_or(FLOWS.len()),
            time::office_date(case.received).year(),
        );
        match units.iter_mut().find(|(k, _)| *k == key) {
            Some((_, unit)) => unit.push(case),
            None => units.push((key, vec![case])),
        }
    }
    units.sort_by_key(|(key, _)| *key);
    let label = format!("{}–{} up to {}", first.year(), today.year(), today);
    super::run_units(
        db,
        label,
        units.into_iter().map(|(_, unit)| unit).collect(),
        |conn, (calendar, channels), case| {
            let channel = workflow::channel_of(channels, case.channel)?;
            run_case(conn, (calendar, channel), case, departments, office, now)
        },
    )
}
