//! Changes to cases that span tables, each meant to run inside one
//! transaction: intake (case, tracking counter, first event) and actions
//! (state change and its audit event). The API, the demo loader and the
//! benchmarks all go through these functions, so the rules are kept in one place.

use serde_json::{json, Value};

use crate::client::ClientAddress;
use crate::db::models::{Case, CaseChanges, Channel, NewCaseEvent, NewCaseRow};
use crate::db::{self, DbConnection};
use crate::domain::actions::{self, ActionBody, Lookups};
use crate::domain::calendar::Clock;
use crate::domain::case::initial_due;
use crate::domain::ids::{CaseId, DepartmentId, UserId};
use crate::domain::intake::{self, NewCase};
use crate::domain::lifecycle::{Action, Actor, CaseState};
use crate::domain::role::Role;
use crate::error::AppError;
use crate::limits::{self, PublicRequest};
use crate::notify::{self, Notice};

/// Who registers a case.
#[derive(Debug, Clone, Copy)]
pub enum Registrar {
    /// A clerk (or admin) logging a letter, call or platform message.
    Staff(UserId),
    /// A citizen writing to the public mailbox; `mail_receipt` is false
    /// when their address has had as many receipts today as it may.
    Citizen {
        /// Whether the receipt is mailed (when an address was given).
        mail_receipt: bool,
    },
}

/// Receipt mails one address may get in a day from the public mailbox;
/// beyond them a letter is still registered, but not mailed about, so that
/// the mailbox cannot be used to flood someone's inbox.
pub const RECEIPTS_PER_ADDRESS_AND_DAY: i64 = 3;

/// Whether a citizen's letter from `email` may still be mailed a receipt today.
pub fn may_mail_receipt(
    conn: &mut DbConnection,
    email: &str,
    now: chrono::NaiveDateTime,
) -> Result<bool, AppError> {
    let sent = db::outbox::count_to(conn, Notice::Receipt, email, now - chrono::Duration::days(1))?;
    Ok(sent < RECEIPTS_PER_ADDRESS_AND_DAY)
}

/// Registers a case; returns it with its query code (the only time the code
/// exists in clear). Refuses a second case with the same external reference in
/// a channel with 409 `duplicate`, naming the existing case.
pub fn register(
    conn: &mut DbConnection,
    new: &NewCase,
    channel: &Channel,
    registrar: Registrar,
    clock: Clock<'_>,
) -> Result<(Case, String), AppError> {
    let now = clock.now;
    if let Some(external_ref) = &new.external_ref {
        if let Some(existing) = db::cases::find_by_external_ref(conn, &new.channel, external_ref)? {
            return Err(AppError::Duplicate {
                detail: format!(
                    "channel '{}' already has case {} for external reference '{external_ref}'",
                    new.channel, existing.tracking_no
                ),
                existing: Some(json!({
                    "existing_case_id": existing.id,
                    "existing_tracking_no": existing.tracking_no,
                })),
            });
        }
    }
    let (time_limit, extension_limit) = channel
        .limits()
        .ok_or_else(|| AppError::Internal(format!("channel {} has invalid limits", channel.code)))?;
    let due_at = initial_due(clock.calendar, time_limit, new.received_at);
    let year = intake::tracking_year(new.received_at);
    let sequence = db::cases::next_sequence(conn, &channel.code, year)?;
    let tracking_no = intake::tracking_number(&channel.tracking_prefix, year, sequence);
    let query_code = intake::new_query_code();
    let (created_by, source) = match registrar {
        Registrar::Staff(id) => (Some(id), "staff"),
        Registrar::Citizen { .. } => (None, "citizen"),
    };
    let row = NewCaseRow {
        query_code_hash: intake::hash_query_code(&tracking_no, &query_code),
        tracking_no,
        channel: channel.code.clone(),
        external_ref: new.external_ref.clone(),
        title: new.title.clone(),
        content: new.content.clone(),
        category: new.category.clone(),
        citizen_name: new.citizen.name.clone(),
        citizen_phone: new.citizen.phone.clone(),
        citizen_email: new.citizen.email.clone(),
        citizen_address: new.citizen.address.clone(),
        is_public: new.is_public,
        received_at: new.received_at,
        due_at: Some(due_at),
        state: CaseState::Registered,
        created_by,
        created_at: now,
        updated_at: now,
        time_limit: Some(time_limit.amount as i32),
        time_limit_unit: Some(time_limit.unit),
        extension_limit: Some(extension_limit.amount as i32),
        extension_unit: Some(extension_limit.unit),
        department_id: None,
        reply: None,
        replied_at: None,
        closed_at: None,
        rating: None,
        result_rating: None,
        rating_source: None,
        rated_at: None,
        handling_seconds: None,
        handling_workdays: None,
    };
    // Two intakes of one external reference at once both pass the check
    // above; the unique index lets only one of them in.
    let case = db::cases::insert(conn, &row).map_err(|error| match &new.external_ref {
        Some(external_ref) if db::is_unique_violation(&error) => AppError::Duplicate {
            detail: format!(
                "channel '{}' already has a case for external reference '{external_ref}'",
                new.channel
            ),
            existing: None,
        },
        _ => error.into(),
    })?;
    db::events::append(
        conn,
        &NewCaseEvent {
            case_id: case.id,
            action: "register".into(),
            actor_id: created_by,
            at: now,
            from_state: None,
            to_state: Some(CaseState::Registered),
            note: None,
            details: Some(json!({ "source": source, "channel": case.channel }).to_string()),
        },
    )?;
    db::rollups::apply(conn, None, Some(&case))?;
    if !matches!(registrar, Registrar::Citizen { mail_receipt: false }) {
        notify::enqueue(conn, Notice::Receipt, &case, json!({ "query_code": query_code }), now)?;
    }
    Ok((case, query_code))
}

/// A citizen's letter, as registered.
#[derive(Debug)]
pub struct Letter {
    /// The case.
    pub case: Case,
    /// Its query code, shown this once.
    pub query_code: String,
    /// Whether a receipt was mailed: false without an address, or when the
    /// address has had its receipts for today.
    pub receipt_mailed: bool,
}

/// Registers a letter a citizen wrote to the public mailbox (channel
/// `mailbox`) from `client`, within the public limits, in the caller's
/// transaction.
pub fn submit_letter(
    conn: &mut DbConnection,
    new: &NewCase,
    channel: &Channel,
    client: ClientAddress,
    clock: Clock<'_>,
) -> Result<Letter, AppError> {
    limits::admit(conn, PublicRequest::Letter, client, clock.now)?;
    let mail_receipt = match &new.citizen.email {
        Some(email) => may_mail_receipt(conn, email, clock.now)?,
        None => false,
    };
    let (case, query_code) = register(conn, new, channel, Registrar::Citizen { mail_receipt }, clock)?;
    Ok(Letter { case, query_code, receipt_mailed: mail_receipt })
}

/// The case a citizen names by tracking number and query code; the same 404
/// for a wrong code as for an unknown number.
pub fn case_with_code(conn: &mut DbConnection, tracking_no: &str, code: &str) -> Result<Case, AppError> {
    let case = db::cases::find_by_tracking_no(conn, tracking_no)?;
    let stored = case.as_ref().map(|c| c.query_code_hash.as_str()).unwrap_or("");
    // Compare even when the number is unknown, so timing tells nothing either.
    let matches = intake::query_code_matches(tracking_no, code, stored);
    match case {
        Some(case) if matches => Ok(case),
        _ => Err(AppError::NotFound("no case with this tracking number and query code".into())),
    }
}

/// The channel a new case names, from the list of channels.
pub fn channel_of<'a>(channels: &'a [Channel], code: &str) -> Result<&'a Channel, AppError> {
    channels
        .iter()
        .find(|c| c.code == code)
        .ok_or_else(|| AppError::invalid_field("channel", format!("unknown channel '{code}'")))
}

/// Who is acting on a case.
#[derive(Debug, Clone, Copy)]
pub struct Acting {
    /// The actor's kind, for the state machine.
    pub actor: Actor,
    /// The staff account, if any.
    pub user_id: Option<UserId>,
    /// A handler's department.
    pub department_id: Option<DepartmentId>,
}

impl Acting {
    /// A member of the public holding the query code.
    pub fn citizen() -> Acting {
        Acting { actor: Actor::Citizen, user_id: None, department_id: None }
    }

    /// Whether this actor may see `case` at all. Handlers see only their own
    /// department's cases; anything else is 404 to them, so ids do not leak.
    pub fn can_see(&self, case: &Case) -> bool {
        match self.actor {
            Actor::Staff(Role::Handler) => {
                self.department_id.is_some() && case.department_id == self.department_id
            }
            _ => true,
        }
    }
}

/// Loads a case the actor may see, or 404.
pub fn visible_case(conn: &mut DbConnection, id: CaseId, acting: &Acting) -> Result<Case, AppError> {
    db::cases::find(conn, id)?.filter(|case| acting.can_see(case)).ok_or_else(|| AppError::not_found("case"))
}

/// An action's body: typed by a program (the demo), or JSON from a request,
/// read only once the actor and the state allow the action, so that the
/// refusals come in the documented order (404, 409 version, 403, 409 state, 422).
#[derive(Debug, Clone)]
pub enum ActionInput {
    /// A body already typed.
    Typed(ActionBody),
    /// The JSON body of `POST /cases/{id}/{action}`.
    Json(Action, Value),
}

impl ActionInput {
    fn action(&self) -> Action {
        match self {
            ActionInput::Typed(body) => body.action(),
            ActionInput::Json(action, _) => *action,
        }
    }

    fn into_body(self) -> Result<ActionBody, AppError> {
        match self {
            ActionInput::Typed(body) => Ok(body),
            ActionInput::Json(action, json) => Ok(ActionBody::parse(action, json)?),
        }
    }
}

impl From<ActionBody> for ActionInput {
    fn from(body: ActionBody) -> Self {
        ActionInput::Typed(body)
    }
}

/// Looks up what the action's rules need beyond the case itself.
fn lookups(conn: &mut DbConnection, case: &Case, body: &ActionBody) -> Result<Lookups, AppError> {
    let department_active = match body.department_id() {
        Some(id) => db::departments::find(conn, id)?.map(|d| d.active),
        None => None,
    };
    let original = match body.duplicate_of() {
        Some(id) => db::cases::find(conn, id)?.map(|c| (c.state, c.tracking_no)),
        None => None,
    };
    let two_dimension_rating = match body {
        ActionBody::Rate(_) => {
            db::channels::find(conn, &case.channel)?
                .ok_or_else(|| AppError::Internal(format!("channel {} missing", case.channel)))?
                .two_dimension_rating
        }
        _ => false,
    };
    Ok(Lookups { department_active, original, two_dimension_rating })
}

/// Takes an action on case `id`: checks visibility and `If-Match`, asks
/// `domain::actions` what the action does, and writes that — the case, its
/// event, the rollups and the mail — in the caller's transaction. Concurrent
/// actions on one case serialise on its version: the loser re-reads the case
/// and is judged against its new state.
pub fn act(
    conn: &mut DbConnection,
    id: CaseId,
    acting: &Acting,
    input: ActionInput,
    if_match: Option<i32>,
    clock: Clock<'_>,
) -> Result<Case, AppError> {
    let action = input.action();
    let mut body = None;
    let mut input = Some(input);
    loop {
        let case = visible_case(conn, id, acting)?;
        if let Some(expected) = if_match {
            if expected != case.version {
                return Err(AppError::VersionConflict { current: case.version });
            }
        }
        actions::permitted(&case.facts(), action, acting.actor)?;
        let body = match (&mut body, input.take()) {
            (Some(body), _) => body,
            (slot, Some(input)) => slot.insert(input.into_body()?),
            (None, None) => unreachable!("the input is read on the first round"),
        };
        let lookups = lookups(conn, &case, body)?;
        let step = actions::Acting { actor: acting.actor, user_id: acting.user_id, clock };
        let effect = actions::effect(&case.facts(), body, step, &lookups)?;
        let changes = CaseChanges::from(&effect.update);
        let Some(after) =
            db::cases::update_if_version(conn, case.id, case.version, effect.state, &changes, clock.now)?
        else {
            continue;
        };
        db::events::append(
            conn,
            &NewCaseEvent {
                case_id: case.id,
                action: action.as_str().into(),
                actor_id: acting.user_id,
                at: clock.now,
                from_state: Some(case.state),
                to_state: Some(effect.state),
                note: effect.note,
                details: Some(effect.details.to_string()),
            },
        )?;
        db::rollups::apply(conn, Some(&case), Some(&after))?;
        if after.published_at != case.published_at {
            db::letters::record_publication(conn, &after)?;
        }
        if let Some((notice, extra)) = effect.notice {
            notify::enqueue(conn, notice, &after, extra, clock.now)?;
        }
        return Ok(after);
    }
}
