//! Every action's effect and refusals, one case at a time.

use super::routing::return_window_closed;
use super::*;
use crate::domain::case::tests::{calendar, facts};
use crate::domain::role::Role;
use chrono::NaiveDate;

fn at(s: &str) -> NaiveDateTime {
    time::parse_instant(s).unwrap()
}

fn clerk() -> Actor {
    Actor::Staff(Role::Clerk)
}

fn handler() -> Actor {
    Actor::Staff(Role::Handler)
}

/// Runs `body` on `case` at `now` with `lookups`.
fn run(
    case: CaseFacts<'_>,
    body: ActionBody,
    actor: Actor,
    now: &str,
    lookups: Lookups,
) -> Result<Effect, Refusal> {
    let calendar = calendar();
    let acting =
        ActionContext { actor, user_id: Some(UserId(5)), clock: Clock { calendar: &calendar, now: at(now) } };
    effect(&case, &body, acting, &lookups)
}

fn in_state(state: CaseState) -> CaseFacts<'static> {
    CaseFacts { state, ..facts() }
}

fn fields(refusal: Refusal) -> Vec<String> {
    match refusal {
        Refusal::Invalid(errors) => errors.0.into_iter().map(|e| e.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

const NOW: &str = "2024-06-12T15:00:00+08:00";

#[test]
fn assign_routes_to_an_active_department_and_tells_it() {
    let case = CaseFacts { department_id: None, ..in_state(CaseState::Registered) };
    let body = ActionBody::Assign(AssignBody {
        department_id: Some(DepartmentId(4)),
        note: Some(" 请办理 ".into()),
    });
    let active = Lookups { department_active: Some(true), accept_days: 1, ..Lookups::default() };
    let effect = run(case, body.clone(), clerk(), NOW, active).unwrap();
    assert_eq!(effect.state, CaseState::Assigned);
    // Signed for by the end of the next working day, Thursday 13 June.
    let accept_due_at = time::parse_instant("2024-06-13T23:59:59+08:00").unwrap();
    assert_eq!(
        effect.update,
        CaseUpdate {
            department_id: Some(Some(DepartmentId(4))),
            accept_due_at: Some(accept_due_at),
            ..CaseUpdate::default()
        }
    );
    assert_eq!(effect.note.as_deref(), Some("请办理"));
    assert_eq!(
        effect.details,
        json!({"department_id": 4, "previous_department_id": null, "accept_due_at": "2024-06-13T23:59:59+08:00"})
    );
    let at_once = Lookups { department_active: Some(true), accept_days: 0, ..Lookups::default() };
    let effect = run(case, body.clone(), clerk(), NOW, at_once).unwrap();
    assert_eq!(effect.update.accept_due_at, time::parse_instant(NOW), "0 days: due at once");
    assert_eq!(effect.notice, Some((Notice::Assigned, json!({"note": "请办理"}))));
    let inactive = Lookups { department_active: Some(false), ..Lookups::default() };
    assert_eq!(fields(run(case, body.clone(), clerk(), NOW, inactive).unwrap_err()), ["department_id"]);
    assert_eq!(fields(run(case, body, clerk(), NOW, Lookups::default()).unwrap_err()), ["department_id"]);
    let again = ActionBody::Assign(AssignBody { department_id: Some(DepartmentId(3)), note: None });
    let same = Lookups { department_active: Some(true), ..Lookups::default() };
    let refused = run(in_state(CaseState::Processing), again, clerk(), NOW, same).unwrap_err();
    assert_eq!(fields(refused), ["department_id"], "already with this department");
}

#[test]
fn accept_changes_only_the_state() {
    let effect = run(
        in_state(CaseState::Assigned),
        ActionBody::Accept(NoteBody::default()),
        handler(),
        NOW,
        Lookups::default(),
    )
    .unwrap();
    assert_eq!(
        (effect.state, effect.update, effect.notice),
        (CaseState::Processing, CaseUpdate::default(), None)
    );
}

#[test]
fn return_gives_the_case_back_to_the_office() {
    let body =
        ActionBody::Return(ReturnBody { reason: Some("不属本单位职责".into()), reason_code: None });
    let effect = run(in_state(CaseState::Processing), body, handler(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Registered);
    assert_eq!(effect.update.department_id, Some(None));
    assert_eq!(effect.details, json!({"previous_department_id": 3, "reason_code": "other"}));
    let missing = ActionBody::Return(ReturnBody { reason: None, reason_code: None });
    assert_eq!(
        fields(
            run(in_state(CaseState::Processing), missing, handler(), NOW, Lookups::default()).unwrap_err()
        ),
        ["reason"]
    );
}

#[test]
fn return_records_its_reason_code_and_refuses_an_unknown_one() {
    for reason in ReturnReason::ALL {
        let body = ActionBody::Return(ReturnBody {
            reason: Some("理由".into()),
            reason_code: Some(reason.code().into()),
        });
        let effect = run(in_state(CaseState::Assigned), body, handler(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.details["reason_code"], reason.code());
    }
    let unknown = ActionBody::Return(ReturnBody { reason: None, reason_code: Some("not_my_problem".into()) });
    let refused =
        run(in_state(CaseState::Assigned), unknown, handler(), NOW, Lookups::default()).unwrap_err();
    assert_eq!(fields(refused), ["reason_code", "reason"], "every problem with the body at once");
}

#[test]
fn the_return_window_closes_at_the_end_of_its_last_working_day() {
    // Friday 7 June 2024, with Monday the 10th a holiday: one working day
    // after it is Tuesday the 11th, across the weekend and the holiday.
    let day = |d| NaiveDate::from_ymd_opt(2024, 6, d).unwrap();
    let calendar = Calendar::new([(day(10), false)]);
    let assigned = at("2024-06-07T10:00:00+08:00");
    assert_eq!(return_window_closed(&calendar, assigned, 1, at("2024-06-11T23:59:59+08:00")), None);
    let late = return_window_closed(&calendar, assigned, 1, at("2024-06-12T00:00:00+08:00")).unwrap();
    assert!(late.contains("2024-06-11T23:59:59+08:00"), "{late}");
    assert_eq!(return_window_closed(&calendar, assigned, 2, at("2024-06-12T12:00:00+08:00")), None);
    let none = return_window_closed(&calendar, assigned, 0, at("2024-06-07T10:00:01+08:00")).unwrap();
    assert!(none.contains("return_days is 0"), "{none}");

    let body = || ActionBody::Return(ReturnBody { reason: Some("理由".into()), reason_code: None });
    let lookups = |days| Lookups {
        assigned_at: Some(at("2024-06-07T10:00:00+08:00")),
        return_days: days,
        ..Lookups::default()
    };
    let refused = run(in_state(CaseState::Processing), body(), handler(), NOW, lookups(1)).unwrap_err();
    assert!(matches!(refused, Refusal::ReturnWindowClosed(_)), "{refused:?}");
    assert!(run(in_state(CaseState::Processing), body(), handler(), NOW, lookups(5)).is_ok());
    let imported = Lookups { assigned_at: None, return_days: 0, ..Lookups::default() };
    assert!(
        run(in_state(CaseState::Processing), body(), handler(), NOW, imported).is_ok(),
        "no assign event: allowed"
    );
}

#[test]
fn reply_records_the_answer_for_review() {
    let body = ActionBody::Reply(ReplyBody { reply: Some("已协调解决。".into()) });
    let effect = run(in_state(CaseState::Processing), body, handler(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Reviewing);
    assert_eq!(effect.update.reply, Some(("已协调解决。".into(), at(NOW))));
    assert_eq!(effect.note, None);
    let blank = ActionBody::Reply(ReplyBody { reply: Some("  ".into()) });
    assert_eq!(
        fields(run(in_state(CaseState::Processing), blank, handler(), NOW, Lookups::default()).unwrap_err()),
        ["reply"]
    );
}

#[test]
fn approve_closes_with_the_handling_time_fixed() {
    let case = CaseFacts { reply: Some("已协调解决。"), ..in_state(CaseState::Reviewing) };
    let effect =
        run(case, ActionBody::Approve(NoteBody::default()), clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Closed);
    // Received Monday 06-03 10:00, closed Wednesday 06-12 15:00: 9 days 5 hours;
    // working days 06-04..06-12 without the 06-10 holiday and the weekend: 6.
    let closure = Closure { at: at(NOW), handling_seconds: 9 * 86_400 + 5 * 3600, handling_workdays: 6 };
    assert_eq!(effect.update.closure, Some(Some(closure)));
    assert_eq!(effect.notice, Some((Notice::Closed, json!({"reply": "已协调解决。"}))));
}

#[test]
fn reject_reply_sends_it_back_with_the_reason() {
    let body = ActionBody::RejectReply(ReasonBody { reason: Some("答复不完整".into()) });
    let effect = run(in_state(CaseState::Reviewing), body, clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Processing);
    assert_eq!(effect.update, CaseUpdate::default());
    assert_eq!(effect.notice, Some((Notice::ReplyRejected, json!({"note": "答复不完整"}))));
}

#[test]
fn extension_requests_stay_within_the_allowance_and_wait_alone() {
    let ask = |days| {
        ActionBody::RequestExtension(ExtensionRequestBody {
            days: Some(days),
            reason: Some("需现场核实".into()),
        })
    };
    let case = in_state(CaseState::Processing);
    let effect = run(case, ask(5), handler(), NOW, Lookups::default()).unwrap();
    let pending =
        PendingExtension {
            days: 5, reason: Some("需现场核实".into()), at: at(NOW), by: Some(UserId(5))
        };
    assert_eq!(effect.update, CaseUpdate { pending_extension: Some(Some(pending)), ..CaseUpdate::default() });
    assert_eq!(effect.details, json!({"days": 5, "allowance": 15}));
    assert_eq!(fields(run(case, ask(16), handler(), NOW, Lookups::default()).unwrap_err()), ["days"]);
    assert_eq!(fields(run(case, ask(0), handler(), NOW, Lookups::default()).unwrap_err()), ["days"]);
    let none = ActionBody::RequestExtension(ExtensionRequestBody::default());
    assert_eq!(fields(run(case, none, handler(), NOW, Lookups::default()).unwrap_err()), ["days", "reason"]);
    let waiting = CaseFacts { pending_extension_days: Some(3), ..case };
    assert!(matches!(run(waiting, ask(2), handler(), NOW, Lookups::default()), Err(Refusal::Conflict(_))));
}

#[test]
fn a_granted_extension_moves_the_due_day_on_by_its_working_days() {
    let case = CaseFacts {
        pending_extension_days: Some(5),
        extended_workdays: 2,
        ..in_state(CaseState::Processing)
    };
    let grant = ActionBody::DecideExtension(ExtensionDecisionBody { approve: Some(true), note: None });
    let effect = run(case, grant, Actor::Staff(Role::Leader), NOW, Lookups::default()).unwrap();
    // Due Tuesday 06-25; five working days on: Tuesday 07-02.
    assert_eq!(effect.update.due_at, Some(end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 7, 2).unwrap())));
    assert_eq!(effect.update.extended_workdays, Some(7));
    assert_eq!(effect.update.pending_extension, Some(None));
    assert_eq!(effect.details["due_at_after"], "2024-07-02T23:59:59+08:00");
    assert_eq!(effect.notice, Some((Notice::Extended, json!({}))));
    let refuse = ActionBody::DecideExtension(ExtensionDecisionBody { approve: Some(false), note: None });
    let refused = run(case, refuse, clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(refused.update, CaseUpdate { pending_extension: Some(None), ..CaseUpdate::default() });
    assert_eq!(refused.notice, None);
    let nothing_waiting =
        ActionBody::DecideExtension(ExtensionDecisionBody { approve: Some(true), note: None });
    assert!(matches!(
        run(in_state(CaseState::Processing), nothing_waiting, clerk(), NOW, Lookups::default()),
        Err(Refusal::Conflict(_))
    ));
}

#[test]
fn supervision_counts_and_tells_the_department() {
    let body = ActionBody::Supervise(NoteBody { note: Some("请加快办理".into()) });
    let case = CaseFacts { supervision_count: 1, ..in_state(CaseState::Assigned) };
    let effect = run(case, body, Actor::Staff(Role::Leader), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Assigned);
    assert_eq!(
        effect.update.supervision,
        Some(Supervision { count: 2, at: at(NOW), note: Some("请加快办理".into()) })
    );
    assert_eq!(effect.notice, Some((Notice::Supervised, json!({"note": "请加快办理"}))));
    let silent = ActionBody::Supervise(NoteBody::default());
    assert_eq!(fields(run(case, silent, clerk(), NOW, Lookups::default()).unwrap_err()), ["note"]);
}

#[test]
fn invalidate_and_mark_duplicate_end_a_registered_case() {
    let registered = in_state(CaseState::Registered);
    let invalidate = ActionBody::Invalidate(ReasonBody { reason: Some("重复来信".into()) });
    assert_eq!(
        run(registered, invalidate, clerk(), NOW, Lookups::default()).unwrap().state,
        CaseState::Invalid
    );
    let of = |id| ActionBody::MarkDuplicate(DuplicateBody { duplicate_of: Some(CaseId(id)), note: None });
    let original =
        Lookups { original: Some((CaseState::Processing, "MB2024000001".into())), ..Lookups::default() };
    let effect = run(registered, of(1), clerk(), NOW, original).unwrap();
    assert_eq!(effect.update.duplicate_of, Some(CaseId(1)));
    assert_eq!(effect.details["duplicate_of_tracking_no"], "MB2024000001");
    assert_eq!(
        fields(run(registered, of(7), clerk(), NOW, Lookups::default()).unwrap_err()),
        ["duplicate_of"],
        "itself"
    );
    assert_eq!(
        fields(run(registered, of(2), clerk(), NOW, Lookups::default()).unwrap_err()),
        ["duplicate_of"],
        "missing"
    );
    let invalid =
        Lookups { original: Some((CaseState::Invalid, "MB2024000002".into())), ..Lookups::default() };
    assert_eq!(fields(run(registered, of(2), clerk(), NOW, invalid).unwrap_err()), ["duplicate_of"]);
}

#[test]
fn a_pause_moves_the_due_day_by_the_working_days_it_lasted() {
    let suspend = ActionBody::Suspend(ReasonBody { reason: Some("申请人补正材料".into()) });
    let effect = run(in_state(CaseState::Processing), suspend, handler(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.update, CaseUpdate { suspended_at: Some(Some(at(NOW))), ..CaseUpdate::default() });
    // Suspended Wednesday 06-12, resumed Monday 06-17: 06-12, 06-13 and 06-14 stood still.
    let paused =
        CaseFacts { suspended: true, suspended_at: Some(at(NOW)), ..in_state(CaseState::Processing) };
    let resume = ActionBody::Resume(NoteBody::default());
    let effect =
        run(paused, resume.clone(), handler(), "2024-06-17T09:00:00+08:00", Lookups::default()).unwrap();
    assert_eq!(effect.update.suspended_at, Some(None));
    assert_eq!(effect.update.paused_workdays, Some(3));
    assert_eq!(effect.update.due_at, Some(end_of_day(chrono::NaiveDate::from_ymd_opt(2024, 6, 28).unwrap())));
    // Suspended and resumed the same day: no pause, the due date stays.
    let same_day = run(paused, resume, handler(), "2024-06-12T17:00:00+08:00", Lookups::default()).unwrap();
    assert_eq!(same_day.update.due_at, None);
    assert_eq!(same_day.update.paused_workdays, Some(0));
}

#[test]
fn a_paused_case_cannot_be_replied_to_or_paused_again() {
    let paused =
        CaseFacts { suspended: true, suspended_at: Some(at(NOW)), ..in_state(CaseState::Processing) };
    let reply = ActionBody::Reply(ReplyBody { reply: Some("答复".into()) });
    assert!(matches!(
        run(paused, reply, handler(), NOW, Lookups::default()),
        Err(Refusal::Transition(TransitionError::Paused { .. }))
    ));
}

#[test]
fn reopening_clears_the_closure_and_the_rating_in_force() {
    let closed = CaseFacts {
        closed_at: Some(at(NOW)),
        rating: Some(Rating::Unsatisfied),
        reopen_count: 1,
        ..in_state(CaseState::Closed)
    };
    let body = ActionBody::Reopen(ReasonBody { reason: Some("回访不满意".into()) });
    let effect = run(closed, body, Actor::Staff(Role::Leader), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Processing);
    assert_eq!(
        effect.update,
        CaseUpdate {
            closure: Some(None),
            rating: Some(None),
            reopen_count: Some(2),
            callback: Some(None),
            ..CaseUpdate::default()
        }
    );
}

#[test]
fn ratings_say_who_gave_them_and_follow_the_channel() {
    let closed = in_state(CaseState::Closed);
    let rate = |result| {
        ActionBody::Rate(RateBody {
            rating: Some(Rating::Satisfied),
            result_rating: result,
            ..RateBody::default()
        })
    };
    let by_citizen = run(closed, rate(None), Actor::Citizen, NOW, Lookups::default()).unwrap();
    let given = by_citizen.update.rating.unwrap().unwrap();
    assert_eq!((given.rating, given.source, given.at), (Rating::Satisfied, RatingSource::Citizen, at(NOW)));
    assert_eq!(by_citizen.details["source"], "citizen");
    let callback = run(closed, rate(None), clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(callback.update.rating.unwrap().unwrap().source, RatingSource::Callback);
    let two = Lookups { two_dimension_rating: true, ..Lookups::default() };
    assert_eq!(fields(run(closed, rate(None), clerk(), NOW, two.clone()).unwrap_err()), ["result_rating"]);
    assert!(run(closed, rate(Some(Rating::BasicallySatisfied)), clerk(), NOW, two).is_ok());
    let missing = ActionBody::Rate(RateBody::default());
    assert_eq!(fields(run(closed, missing, clerk(), NOW, Lookups::default()).unwrap_err()), ["rating"]);
}

#[test]
fn only_consented_closed_letters_are_published_and_reopening_withdraws_it() {
    let closed = in_state(CaseState::Closed);
    let publish = ActionBody::Publish(NoteBody::default());
    assert!(
        matches!(run(closed, publish.clone(), clerk(), NOW, Lookups::default()), Err(Refusal::Conflict(_))),
        "the citizen did not consent"
    );
    let consented = CaseFacts { is_public: true, ..closed };
    let effect = run(consented, publish.clone(), clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.state, CaseState::Closed);
    assert_eq!(
        effect.update,
        CaseUpdate {
            publication: Some(Some(Publication { at: at(NOW), by: Some(UserId(5)) })),
            ..CaseUpdate::default()
        }
    );
    let published = CaseFacts { published: true, ..consented };
    assert!(matches!(
        run(published, publish.clone(), clerk(), NOW, Lookups::default()),
        Err(Refusal::Conflict(_))
    ));
    assert_eq!(
        run(in_state(CaseState::Reviewing), publish, clerk(), NOW, Lookups::default()),
        Err(Refusal::Transition(TransitionError::InvalidTransition {
            state: CaseState::Reviewing,
            action: Action::Publish
        }))
    );
    let unpublish = ActionBody::Unpublish(NoteBody::default());
    assert_eq!(
        run(published, unpublish.clone(), clerk(), NOW, Lookups::default()).unwrap().update.publication,
        Some(None)
    );
    assert!(matches!(run(consented, unpublish, clerk(), NOW, Lookups::default()), Err(Refusal::Conflict(_))));
    let reopen = ActionBody::Reopen(ReasonBody { reason: Some("回访不满意".into()) });
    let reopened = run(published, reopen, clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(reopened.update.publication, Some(None));
    assert_eq!(reopened.details, json!({"unpublished": true}));
}

#[test]
fn refusals_come_from_the_state_machine_first() {
    let approve = ActionBody::Approve(NoteBody::default());
    assert_eq!(
        run(
            in_state(CaseState::Reviewing),
            approve.clone(),
            Actor::Staff(Role::Leader),
            NOW,
            Lookups::default()
        ),
        Err(Refusal::Transition(TransitionError::NotPermitted))
    );
    assert_eq!(
        run(in_state(CaseState::Closed), approve, clerk(), NOW, Lookups::default()),
        Err(Refusal::Transition(TransitionError::InvalidTransition {
            state: CaseState::Closed,
            action: Action::Approve
        }))
    );
}

#[test]
fn bodies_refuse_members_their_action_does_not_use() {
    let parsed = ActionBody::parse(Action::Assign, json!({"department_id": 2, "note": "急"})).unwrap();
    assert_eq!(
        parsed,
        ActionBody::Assign(AssignBody { department_id: Some(DepartmentId(2)), note: Some("急".into()) })
    );
    let unused = ActionBody::parse(Action::Assign, json!({"department_id": 2, "reply": "x"})).unwrap_err();
    assert_eq!(unused.0[0].field, "reply");
    let mistyped = ActionBody::parse(Action::RequestExtension, json!({"days": "three"})).unwrap_err();
    assert_eq!(mistyped.0[0].field, "days");
    assert_eq!(
        ActionBody::parse(Action::Accept, json!({})).unwrap(),
        ActionBody::Accept(NoteBody::default())
    );
    for action in Action::ALL {
        if let Ok(body) = ActionBody::parse(action, json!({})) {
            assert_eq!(body.action(), action);
        }
    }
}

fn closed_with(callback: Option<CallbackRecord>) -> CaseFacts<'static> {
    CaseFacts { callback, closed_at: Some(at("2024-06-11T09:00:00+08:00")), ..in_state(CaseState::Closed) }
}

fn pending(due: &str, attempts: i32) -> CallbackRecord {
    CallbackRecord { state: CallbackState::Pending, due_at: Some(at(due)), attempts, at: None }
}

fn callback_body(reached: bool) -> CallbackBody {
    CallbackBody {
        reached: Some(reached),
        method: Some(crate::domain::callback::CallbackMethod::Phone),
        ..CallbackBody::default()
    }
}

#[test]
fn a_closure_opens_a_callback_across_a_holiday_and_its_make_up_day() {
    let schedule = include_str!("../../../migrations/seed/cn-holidays.csv");
    let holidays = crate::domain::calendar::parse_csv(schedule).unwrap();
    let calendar = Calendar::new(holidays.into_iter().map(|(day, workday, _)| (day, workday)));
    let case = CaseFacts { reply: Some("已办理。"), ..in_state(CaseState::Reviewing) };
    let lookups = Lookups { callback_days: 3, ..Lookups::default() };
    let close = |case: CaseFacts<'_>| {
        // Wednesday 30 September 2026; 1–7 October is 国庆节, Saturday 10
        // October a make-up working day: 8, 9 and 10 October are the three.
        let clock = Clock { calendar: &calendar, now: at("2026-09-30T10:00:00+08:00") };
        let acting = ActionContext { actor: clerk(), user_id: Some(UserId(5)), clock };
        effect(&case, &ActionBody::Approve(NoteBody::default()), acting, &lookups).unwrap()
    };
    let effect = close(case);
    let callback = effect.update.callback.flatten().unwrap();
    assert_eq!(callback.state, CallbackState::Pending);
    assert_eq!(callback.due_at, Some(at("2026-10-10T23:59:59+08:00")));
    let no_phone = close(CaseFacts { has_phone: false, ..case });
    let callback = no_phone.update.callback.flatten().unwrap();
    assert_eq!((callback.state, callback.due_at), (CallbackState::NotNeeded, None));
}

#[test]
fn a_citizen_who_rates_before_the_callback_is_due_spares_it() {
    let rate = ActionBody::Rate(RateBody { rating: Some(Rating::Satisfied), ..RateBody::default() });
    let case = closed_with(Some(pending("2024-06-14T23:59:59+08:00", 1)));
    let effect = run(case, rate.clone(), Actor::Citizen, NOW, Lookups::default()).unwrap();
    let callback = effect.update.callback.flatten().unwrap();
    assert_eq!((callback.state, callback.attempts), (CallbackState::NotNeeded, 1));
    let late =
        run(case, rate.clone(), Actor::Citizen, "2024-06-17T09:00:00+08:00", Lookups::default()).unwrap();
    assert_eq!(late.update.callback, None, "past its due time the callback stays due");
    assert_eq!(run(case, rate, clerk(), NOW, Lookups::default()).unwrap().update.callback, None);
}

#[test]
fn a_callback_reached_rates_and_three_unreached_end_it() {
    let case = closed_with(Some(pending("2024-06-14T23:59:59+08:00", 0)));
    let reached = CallbackBody {
        rating: Some(Rating::Unsatisfied),
        resolved: Some(false),
        comment: Some("路灯仍不亮".into()),
        ..callback_body(true)
    };
    let effect = run(case, ActionBody::Callback(reached.clone()), clerk(), NOW, Lookups::default()).unwrap();
    let rating = effect.update.rating.clone().flatten().unwrap();
    assert_eq!(
        (rating.rating, rating.source, rating.resolved),
        (Rating::Unsatisfied, RatingSource::Callback, Some(false))
    );
    let callback = effect.update.callback.flatten().unwrap();
    assert_eq!((callback.state, callback.at), (CallbackState::Done, Some(at(NOW))));
    assert_eq!(effect.details["callback"], "done");
    assert_eq!(effect.note.as_deref(), Some("路灯仍不亮"));

    let missing = CallbackBody { reached: Some(true), ..CallbackBody::default() };
    assert_eq!(
        fields(run(case, ActionBody::Callback(missing), clerk(), NOW, Lookups::default()).unwrap_err()),
        ["method", "resolved", "rating"]
    );
    let too_much =
        CallbackBody { rating: Some(Rating::Satisfied), resolved: Some(true), ..callback_body(false) };
    assert_eq!(
        fields(run(case, ActionBody::Callback(too_much), clerk(), NOW, Lookups::default()).unwrap_err()),
        ["rating", "resolved"]
    );

    let mut attempts = case;
    for expected in [CallbackState::Pending, CallbackState::Pending, CallbackState::Unreachable] {
        let effect =
            run(attempts, ActionBody::Callback(callback_body(false)), clerk(), NOW, Lookups::default())
                .unwrap();
        let callback = effect.update.callback.flatten().unwrap();
        assert_eq!(callback.state, expected);
        assert_eq!(effect.update.rating, None, "an unreached call rates nothing");
        attempts = CaseFacts { callback: Some(callback), ..attempts };
    }
    assert_eq!(attempts.callback.unwrap().attempts, 3);
    for ended in [
        attempts,
        closed_with(None),
        closed_with(Some(CallbackRecord {
            state: CallbackState::NotNeeded,
            due_at: None,
            attempts: 0,
            at: None,
        })),
    ] {
        let refused =
            run(ended, ActionBody::Callback(callback_body(false)), clerk(), NOW, Lookups::default());
        assert!(matches!(refused, Err(Refusal::Conflict(_))), "{refused:?}");
    }
    let open = CaseFacts {
        callback: Some(pending("2024-06-14T23:59:59+08:00", 0)),
        ..in_state(CaseState::Processing)
    };
    let refused = run(open, ActionBody::Callback(callback_body(false)), clerk(), NOW, Lookups::default());
    assert!(matches!(refused, Err(Refusal::Transition(TransitionError::InvalidTransition { .. }))));
    let by_leader = run(
        case,
        ActionBody::Callback(callback_body(false)),
        Actor::Staff(Role::Leader),
        NOW,
        Lookups::default(),
    );
    assert_eq!(by_leader.unwrap_err(), Refusal::Transition(TransitionError::NotPermitted));
}

fn rectifying(state: RectificationState) -> CaseFacts<'static> {
    CaseFacts {
        rating: Some(Rating::Unsatisfied),
        rectification: Some(Rectification { state, due_at: Some(at("2024-06-19T23:59:59+08:00")) }),
        ..closed_with(None)
    }
}

#[test]
fn a_poor_rating_opens_a_rectification_across_a_holiday_and_its_make_up_day() {
    let schedule = include_str!("../../../migrations/seed/cn-holidays.csv");
    let holidays = crate::domain::calendar::parse_csv(schedule).unwrap();
    let calendar = Calendar::new(holidays.into_iter().map(|(day, workday, _)| (day, workday)));
    let lookups = Lookups { rectify_days: 5, ..Lookups::default() };
    let rate = |case: CaseFacts<'_>, rating: Rating, resolved: Option<bool>| {
        // Wednesday 30 September 2026; 1–7 October is 国庆节, Saturday 10
        // October a make-up working day: 8, 9, 10, 12 and 13 October are the five.
        let clock = Clock { calendar: &calendar, now: at("2026-09-30T10:00:00+08:00") };
        let acting = ActionContext { actor: clerk(), user_id: Some(UserId(5)), clock };
        let body = RateBody { rating: Some(rating), resolved, ..RateBody::default() };
        effect(&case, &ActionBody::Rate(body), acting, &lookups).unwrap()
    };
    let closed = in_state(CaseState::Closed);
    let poor = rate(closed, Rating::Unsatisfied, None);
    let opened = poor.update.rectification.flatten().unwrap();
    assert_eq!(opened.state, RectificationState::Open);
    assert_eq!(opened.due_at, Some(at("2026-10-13T23:59:59+08:00")));
    assert_eq!(
        poor.notice,
        Some((Notice::Rectification, json!({"rectify_due_at": "2026-10-13T23:59:59+08:00"})))
    );
    assert_eq!(poor.details["rectification"], "open");
    let unsolved = rate(closed, Rating::Satisfied, Some(false));
    assert_eq!(unsolved.update.rectification.flatten().map(|r| r.state), Some(RectificationState::Open));
    let content = rate(closed, Rating::BasicallySatisfied, Some(true));
    assert_eq!((content.update.rectification, content.notice), (None, None));
    // One outstanding at a time: a new 差评 joins it, without a second mail.
    for state in RectificationState::OUTSTANDING {
        let joined = rate(
            CaseFacts { rectification: Some(Rectification { state, due_at: None }), ..closed },
            Rating::Unsatisfied,
            None,
        );
        assert_eq!((joined.update.rectification, joined.notice), (None, None), "{state:?}");
    }
    let after_upheld = CaseFacts {
        rectification: Some(Rectification { state: RectificationState::Upheld, due_at: None }),
        rating_excluded: true,
        ..closed
    };
    let again = rate(after_upheld, Rating::Unsatisfied, None);
    assert_eq!(again.update.rectification.flatten().map(|r| r.state), Some(RectificationState::Open));
    assert_eq!(again.update.rating_excluded_at, Some(None), "the new rating counts");
}

#[test]
fn an_appeal_is_made_once_and_decided_by_leadership() {
    let appeal = |reason: Option<&str>| ActionBody::Appeal(ReasonBody { reason: reason.map(Into::into) });
    let open = rectifying(RectificationState::Open);
    let effect = run(open, appeal(Some("不属本单位职责")), handler(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.update.rectification.flatten().map(|r| r.state), Some(RectificationState::Appealed));
    assert_eq!(effect.update.appeal_reason, Some(Some("不属本单位职责".to_owned())));
    assert_eq!(fields(run(open, appeal(None), handler(), NOW, Lookups::default()).unwrap_err()), ["reason"]);
    for state in [RectificationState::Appealed, RectificationState::Upheld, RectificationState::Rejected] {
        let refused = run(rectifying(state), appeal(Some("x")), handler(), NOW, Lookups::default());
        assert_eq!(refused.unwrap_err(), Refusal::AlreadyAppealed, "{state:?}");
    }
    for case in [rectifying(RectificationState::Done), closed_with(None)] {
        let refused = run(case, appeal(Some("x")), handler(), NOW, Lookups::default());
        assert!(matches!(refused, Err(Refusal::RectificationNotOpen(_))), "{refused:?}");
    }
    assert_eq!(
        run(open, appeal(Some("x")), clerk(), NOW, Lookups::default()).unwrap_err(),
        Refusal::Transition(TransitionError::NotPermitted)
    );

    let decide = |uphold: Option<bool>, note: Option<&str>| {
        ActionBody::DecideAppeal(AppealDecisionBody { uphold, note: note.map(Into::into) })
    };
    let leader = Actor::Staff(Role::Leader);
    let appealed = rectifying(RectificationState::Appealed);
    let upheld =
        run(appealed, decide(Some(true), Some("同意核减")), leader, NOW, Lookups::default()).unwrap();
    assert_eq!(upheld.update.rectification.flatten().map(|r| r.state), Some(RectificationState::Upheld));
    assert_eq!(upheld.update.rating_excluded_at, Some(Some(at(NOW))));
    assert_eq!(upheld.details["excluded_rating"], "unsatisfied");
    let rejected =
        run(appealed, decide(Some(false), Some("须重办")), leader, NOW, Lookups::default()).unwrap();
    assert_eq!(rejected.update.rectification.flatten().map(|r| r.state), Some(RectificationState::Rejected));
    assert_eq!(rejected.update.rating_excluded_at, None);
    assert_eq!(
        fields(run(appealed, decide(None, None), leader, NOW, Lookups::default()).unwrap_err()),
        ["note", "uphold"]
    );
    for actor in [clerk(), handler()] {
        let refused = run(appealed, decide(Some(true), Some("x")), actor, NOW, Lookups::default());
        assert_eq!(refused.unwrap_err(), Refusal::Transition(TransitionError::NotPermitted));
    }
    let early = run(open, decide(Some(true), Some("x")), Actor::Staff(Role::Admin), NOW, Lookups::default());
    assert!(matches!(early, Err(Refusal::NotAppealed(_))));
}

#[test]
fn the_closure_after_a_reopen_ends_an_outstanding_rectification() {
    let reviewing = |state| CaseFacts {
        reply: Some("已重新办理。"),
        rectification: Some(Rectification { state, due_at: None }),
        ..in_state(CaseState::Reviewing)
    };
    let approve = ActionBody::Approve(NoteBody::default());
    for state in RectificationState::OUTSTANDING {
        let effect = run(reviewing(state), approve.clone(), clerk(), NOW, Lookups::default()).unwrap();
        assert_eq!(effect.update.rectification.flatten().map(|r| r.state), Some(RectificationState::Done));
    }
    let decided =
        run(reviewing(RectificationState::Upheld), approve, clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(decided.update.rectification, None, "an upheld appeal stays decided");
    let reopen = ActionBody::Reopen(ReasonBody { reason: Some("重办".into()) });
    let excluded = CaseFacts { rating_excluded: true, ..rectifying(RectificationState::Upheld) };
    let effect = run(excluded, reopen, clerk(), NOW, Lookups::default()).unwrap();
    assert_eq!(effect.update.rating_excluded_at, Some(None));
}
