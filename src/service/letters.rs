//! The public mailbox (公开信箱): what citizens do without an account — write
//! a letter, look it up with its tracking number and query code, rate the
//! reply — and the published letters (信件选登). The API's `/public/*` and
//! the mailbox pages call these, so the per-address limits, the receipt
//! mails' daily cap and the rating rule are the same on both.

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::cases::{act_in, channel_of, register_in, ActionInput, Registrar};
use super::categories;
use super::limits::{self, PublicRequest};
use super::views::PublicCaseView;
use crate::client::ClientAddress;
use crate::db::models::{Case, Channel};
use crate::db::{self, DbConnection};
use crate::domain::actions::{ActionBody, RateBody};
use crate::domain::calendar::Clock;
use crate::domain::citizen::{mask_name, CitizenInput};
use crate::domain::intake::{self, NewCase, NewCaseInput};
use crate::domain::lifecycle::CaseState;
use crate::domain::rating::{Rating, RatingScale};
use crate::domain::time;
use crate::domain::validation::{FieldErrors, Rule};
use crate::error::AppError;
use crate::notify::Notice;
use crate::service::access::Caller;
use crate::state::AppState;

/// The channel citizens write to directly.
pub const PUBLIC_CHANNEL: &str = "mailbox";

/// Receipt mails one address may get in a day from the public mailbox;
/// beyond them a letter is still registered, but not mailed about, so that
/// the mailbox cannot be used to flood someone's inbox.
pub const RECEIPTS_PER_ADDRESS_AND_DAY: i64 = 3;

/// A letter to the public mailbox, as a citizen writes it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterInput {
    /// Subject line.
    pub title: String,
    /// The letter.
    pub content: String,
    /// Subject category.
    pub category: Option<String>,
    /// Whether the reply may be published.
    pub is_public: Option<bool>,
    /// Contact details; absent for an anonymous letter.
    pub citizen: Option<CitizenInput>,
}

impl LetterInput {
    fn into_case_input(self) -> NewCaseInput {
        NewCaseInput {
            channel: PUBLIC_CHANNEL.into(),
            title: self.title,
            content: self.content,
            received_at: None,
            external_ref: None,
            category: self.category,
            is_public: self.is_public,
            citizen: self.citizen,
        }
    }
}

/// A citizen's letter, as registered.
#[derive(Debug)]
pub struct Letter {
    pub case: Case,
    /// Its query code, shown this once.
    pub query_code: String,
    /// Whether a receipt was mailed: false without an address, or when the
    /// address has had its receipts for today.
    pub receipt_mailed: bool,
}

/// Whether a citizen's letter from `email` may still be mailed a receipt today.
pub fn may_mail_receipt(conn: &mut DbConnection, email: &str, now: NaiveDateTime) -> Result<bool, AppError> {
    let sent = db::outbox::count_to(conn, Notice::Receipt, email, now - chrono::Duration::days(1))?;
    Ok(sent < RECEIPTS_PER_ADDRESS_AND_DAY)
}

/// Registers a letter in the caller's transaction, within `client`'s limits.
fn submit_in(
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
    let (case, query_code) = register_in(conn, new, channel, Registrar::Citizen { mail_receipt }, clock)?;
    Ok(Letter { case, query_code, receipt_mailed: mail_receipt })
}

/// A citizen writes to the public mailbox from `client`: the letter is
/// checked as an intake is, and its category must be one the mailbox offers
/// (every field error at once); then it is registered within the address's
/// limits (429 beyond them).
pub async fn submit(state: &AppState, client: ClientAddress, input: LetterInput) -> Result<Letter, AppError> {
    let now = time::now_utc();
    let offered = categories::offered(state, PUBLIC_CHANNEL).await?;
    let mut unlisted = FieldErrors::new();
    if let Some(category) = input.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        if !offered.iter().any(|c| c == category) {
            unlisted.add("category", Rule::UnknownCategory(category.to_owned()));
        }
    }
    let new = match input.into_case_input().validate(now, |code| code == PUBLIC_CHANNEL) {
        Ok(new) if unlisted.is_empty() => new,
        Ok(_) => return Err(unlisted.into()),
        Err(mut errors) => {
            errors.0.extend(unlisted.0);
            return Err(errors.into());
        }
    };
    let db = state.db.clone();
    state
        .db
        .write(move |conn| {
            let (channels, calendar) = (db.channels(conn)?, db.calendar(conn)?);
            let channel = channel_of(&channels, PUBLIC_CHANNEL)?;
            submit_in(conn, &new, channel, client, Clock { calendar: &calendar, now })
        })
        .await
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

/// A letter as its writer sees it: the public view (nothing personal), the
/// rating in force, and whether they may rate it now.
#[derive(Debug)]
pub struct LetterStatus {
    /// What the citizen is shown.
    pub view: PublicCaseView,
    /// The rating in force (theirs or a callback's).
    pub rating: Option<Rating>,
    /// Whether the citizen may rate this closure: closed, and not rated by
    /// them since it closed.
    pub may_rate: bool,
    /// The case's version: a rating from the page is taken on it.
    pub version: i32,
    /// The levels its channel rates on.
    pub scale: RatingScale,
}

fn status_of(conn: &mut DbConnection, case: &Case) -> Result<LetterStatus, AppError> {
    let parent = match (case.state, case.merged_into) {
        (CaseState::Merged, Some(parent)) => db::cases::find(conn, parent)?,
        _ => None,
    };
    let may_rate = match &parent {
        // A merged letter is answered by its parent's closure, and rated once per closure of it.
        Some(parent) => match (parent.state, parent.closed_at) {
            (CaseState::Closed, Some(closed_at)) => {
                !db::events::citizen_rated_since(conn, case.id, closed_at)?
            }
            _ => false,
        },
        None => case.state == CaseState::Closed && !citizen_rated_this_closure(conn, case)?,
    };
    let scale = db::channels::find(conn, &case.channel)?.map(|c| c.scale()).unwrap_or_default();
    let view = match &parent {
        Some(parent) => PublicCaseView::merged(case, parent),
        None => PublicCaseView::from(case),
    };
    Ok(LetterStatus { scale, view, rating: case.rating, may_rate, version: case.version })
}

/// Whether the citizen rated the case since its last closure: they rate each
/// closure once.
pub fn citizen_rated_this_closure(conn: &mut DbConnection, case: &Case) -> Result<bool, AppError> {
    match case.closed_at {
        Some(closed_at) => Ok(db::events::citizen_rated_since(conn, case.id, closed_at)?),
        None => Ok(false),
    }
}

/// Looks a letter up for its writer. Every look-up counts towards the
/// client's limit, found or not: that is what keeps query codes from being guessed.
pub async fn lookup(
    state: &AppState,
    client: ClientAddress,
    tracking_no: String,
    code: String,
) -> Result<LetterStatus, AppError> {
    let now = time::now_utc();
    state.db.write(move |conn| limits::admit(conn, PublicRequest::Lookup, client, now)).await?;
    state
        .db
        .read(move |conn| {
            let case = case_with_code(conn, &tracking_no, &code)?;
            status_of(conn, &case)
        })
        .await
}

/// What became of a citizen's rating.
#[derive(Debug)]
pub enum Rated {
    /// Recorded; the letter after it.
    Recorded(LetterStatus),
    /// Refused (`why`: the case is not closed, this closure is rated already,
    /// the page was stale, or the body is wrong); the letter as it is now.
    Refused {
        /// The letter as it is.
        status: LetterStatus,
        why: AppError,
    },
}

impl Rated {
    /// The letter after the rating, or why it was refused.
    pub fn into_result(self) -> Result<LetterStatus, AppError> {
        match self {
            Rated::Recorded(status) => Ok(status),
            Rated::Refused { why, .. } => Err(why),
        }
    }
}

/// The citizen rates the reply of their closed letter: once per closure (409
/// `already_rated` for a second try), within the client's limit. `version`,
/// when given, is the version the citizen's page showed: a concurrent change
/// (a double click) makes this rating lose with 409 `version_conflict`. A
/// wrong number or code, or a limit reached, is the error; a refusal of the
/// rating itself comes with the letter as it is, for the page to show.
pub async fn rate(
    state: &AppState,
    client: ClientAddress,
    tracking_no: String,
    code: String,
    rating: RateBody,
    version: Option<i32>,
) -> Result<Rated, AppError> {
    let now = time::now_utc();
    state.db.write(move |conn| limits::admit(conn, PublicRequest::Rating, client, now)).await?;
    let db = state.db.clone();
    state
        .db
        .write(move |conn| {
            let case = case_with_code(conn, &tracking_no, &code)?;
            let calendar = db.calendar(conn)?;
            let clock = Clock { calendar: &calendar, now };
            let input = ActionInput::Typed(ActionBody::Rate(rating));
            match act_in(conn, case.id, &Caller::citizen(), input, version, clock) {
                Ok(after) => Ok(Rated::Recorded(status_of(conn, &after)?)),
                Err(
                    why @ (AppError::Validation(_)
                    | AppError::AlreadyRated
                    | AppError::VersionConflict { .. }
                    | AppError::InvalidTransition { .. }),
                ) => {
                    let now_case = db::cases::find(conn, case.id)?.unwrap_or(case);
                    Ok(Rated::Refused { status: status_of(conn, &now_case)?, why })
                }
                Err(other) => Err(other),
            }
        })
        .await
}

/// Published letters on one page.
pub const LETTERS_PER_PAGE: i64 = 10;
/// Pages of published letters beyond this are not served (an offset that
/// large is a crawler's).
pub const LAST_PAGE: i64 = 1000;
/// Longest search text on the published letters, in characters.
pub const SEARCH_MAX: usize = 50;

/// One published letter, as anyone may read it: no contact details, the
/// writer's name masked (王**).
#[derive(Debug)]
pub struct PublishedLetter {
    pub tracking_no: String,
    /// Subject line.
    pub title: String,
    /// The letter.
    pub content: String,
    /// Subject category.
    pub category: Option<String>,
    /// The writer, masked; `None` for an anonymous letter.
    pub writer: Option<String>,
    /// When the office received it.
    pub received_at: NaiveDateTime,
    /// The approved reply.
    pub reply: String,
    /// The department that answered, if one did.
    pub department: Option<String>,
    /// When it was closed.
    pub closed_at: Option<NaiveDateTime>,
}

/// Page `page` (from 1) of the published letters, newest closure first,
/// optionally those with `text` in the title, letter or reply; and whether
/// another page follows.
pub async fn published(
    state: &AppState,
    text: Option<String>,
    page: i64,
) -> Result<(Vec<PublishedLetter>, bool), AppError> {
    let (rows, more) = state
        .db
        .read(move |conn| {
            Ok(db::letters::published(
                conn,
                text.as_deref(),
                (page - 1) * LETTERS_PER_PAGE,
                LETTERS_PER_PAGE,
            )?)
        })
        .await?;
    let letters = rows
        .into_iter()
        .map(|letter| PublishedLetter {
            writer: letter.citizen_name.as_deref().map(mask_name).filter(|n| !n.is_empty()),
            tracking_no: letter.tracking_no,
            title: letter.title,
            content: letter.content,
            category: letter.category,
            received_at: letter.received_at,
            reply: letter.reply.unwrap_or_default(),
            department: letter.department,
            closed_at: letter.closed_at,
        })
        .collect();
    Ok((letters, more))
}
