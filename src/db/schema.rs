//! Table definitions shared by both backends. Written by hand to the subset of
//! column types that `MultiConnection` supports (no timestamptz, jsonb or uuid);
//! `tests/api/migrations.rs` checks it against both migrated databases.

diesel::table! {
    departments (id) {
        id -> BigInt,
        name -> Text,
        code -> Text,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        department_id -> Nullable<BigInt>,
        email -> Nullable<Text>,
        active -> Bool,
        token_epoch -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        digest -> Text,
    }
}

diesel::table! {
    digests_sent (user_id, period_start, period_end) {
        user_id -> BigInt,
        period_start -> Date,
        period_end -> Date,
        written_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        at -> Timestamp,
        client -> Text,
    }
}

diesel::table! {
    channels (code) {
        code -> Text,
        name -> Text,
        time_limit -> Integer,
        time_limit_unit -> Text,
        extension_limit -> Integer,
        extension_unit -> Text,
        tracking_prefix -> Text,
        two_dimension_rating -> Bool,
        sort_order -> Integer,
        updated_at -> Timestamp,
        accept_days -> Integer,
        return_days -> Integer,
        callback_days -> Integer,
        rectify_days -> Integer,
        rating_scale -> Integer,
    }
}

diesel::table! {
    channel_categories (channel, name) {
        channel -> Text,
        name -> Text,
        position -> Integer,
    }
}

diesel::table! {
    tracking_counters (channel, year) {
        channel -> Text,
        year -> Integer,
        last_seq -> Integer,
    }
}

diesel::table! {
    cases (id) {
        id -> BigInt,
        tracking_no -> Text,
        channel -> Text,
        external_ref -> Nullable<Text>,
        title -> Text,
        content -> Text,
        category -> Nullable<Text>,
        citizen_name -> Nullable<Text>,
        citizen_phone -> Nullable<Text>,
        citizen_email -> Nullable<Text>,
        citizen_address -> Nullable<Text>,
        is_public -> Bool,
        query_code_hash -> Text,
        received_at -> Timestamp,
        due_at -> Nullable<Timestamp>,
        state -> Text,
        department_id -> Nullable<BigInt>,
        reply -> Nullable<Text>,
        replied_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        rating -> Nullable<Text>,
        result_rating -> Nullable<Text>,
        rating_source -> Nullable<Text>,
        rating_comment -> Nullable<Text>,
        rated_at -> Nullable<Timestamp>,
        duplicate_of -> Nullable<BigInt>,
        reopen_count -> Integer,
        suspended -> Bool,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        time_limit -> Nullable<Integer>,
        time_limit_unit -> Nullable<Text>,
        extension_limit -> Nullable<Integer>,
        extension_unit -> Nullable<Text>,
        extended_workdays -> Integer,
        paused_workdays -> Integer,
        suspended_at -> Nullable<Timestamp>,
        pending_extension_days -> Nullable<Integer>,
        pending_extension_reason -> Nullable<Text>,
        pending_extension_at -> Nullable<Timestamp>,
        pending_extension_by -> Nullable<BigInt>,
        supervision_count -> Integer,
        last_supervised_at -> Nullable<Timestamp>,
        last_supervision_note -> Nullable<Text>,
        due_soon_recorded_at -> Nullable<Timestamp>,
        overdue_recorded_at -> Nullable<Timestamp>,
        handling_seconds -> Nullable<BigInt>,
        handling_workdays -> Nullable<Integer>,
        published_at -> Nullable<Timestamp>,
        published_by -> Nullable<BigInt>,
        resolved -> Nullable<Bool>,
        callback_state -> Nullable<Text>,
        callback_due_at -> Nullable<Timestamp>,
        callback_attempts -> Integer,
        callback_at -> Nullable<Timestamp>,
        rectification_state -> Nullable<Text>,
        rectification_due_at -> Nullable<Timestamp>,
        appeal_reason -> Nullable<Text>,
        appeal_note -> Nullable<Text>,
        rating_excluded_at -> Nullable<Timestamp>,
        accept_due_at -> Nullable<Timestamp>,
        merged_into -> Nullable<BigInt>,
    }
}

diesel::table! {
    case_rollups (received_day, channel, department_key) {
        received_day -> Date,
        channel -> Text,
        department_key -> BigInt,
        received -> BigInt,
        closed -> BigInt,
        closed_on_time -> BigInt,
        handling_seconds -> BigInt,
        handling_workdays -> BigInt,
        rated -> BigInt,
        satisfied -> BigInt,
        basically_satisfied -> BigInt,
        unsatisfied -> BigInt,
        result_rated -> BigInt,
        result_satisfied -> BigInt,
        result_basically_satisfied -> BigInt,
        result_unsatisfied -> BigInt,
        reopened_closed -> BigInt,
        very_satisfied -> BigInt,
        very_unsatisfied -> BigInt,
        callbacks_needed -> BigInt,
        callbacks_made -> BigInt,
        resolved_answered -> BigInt,
        resolved_yes -> BigInt,
        ratings_excluded -> BigInt,
        assignments -> BigInt,
        accepted_on_time -> BigInt,
        returns -> BigInt,
        merged -> BigInt,
    }
}

diesel::table! {
    case_rollups_monthly (received_month, channel, department_key) {
        received_month -> Date,
        channel -> Text,
        department_key -> BigInt,
        received -> BigInt,
        closed -> BigInt,
        closed_on_time -> BigInt,
        handling_seconds -> BigInt,
        handling_workdays -> BigInt,
        rated -> BigInt,
        satisfied -> BigInt,
        basically_satisfied -> BigInt,
        unsatisfied -> BigInt,
        result_rated -> BigInt,
        result_satisfied -> BigInt,
        result_basically_satisfied -> BigInt,
        result_unsatisfied -> BigInt,
        reopened_closed -> BigInt,
        very_satisfied -> BigInt,
        very_unsatisfied -> BigInt,
        callbacks_needed -> BigInt,
        callbacks_made -> BigInt,
        resolved_answered -> BigInt,
        resolved_yes -> BigInt,
        ratings_excluded -> BigInt,
        assignments -> BigInt,
        accepted_on_time -> BigInt,
        returns -> BigInt,
        merged -> BigInt,
    }
}

diesel::table! {
    calendar_days (day) {
        day -> Date,
        is_workday -> Bool,
        note -> Text,
    }
}

diesel::table! {
    case_events (id) {
        id -> BigInt,
        case_id -> BigInt,
        action -> Text,
        actor_id -> Nullable<BigInt>,
        at -> Timestamp,
        from_state -> Nullable<Text>,
        to_state -> Nullable<Text>,
        note -> Nullable<Text>,
        details -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        case_id -> Nullable<BigInt>,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        recipient_key -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (user_id, idempotency_key) {
        user_id -> BigInt,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    public_requests (id) {
        id -> BigInt,
        kind -> Text,
        client -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    imports (id) {
        id -> BigInt,
        file_name -> Text,
        format -> Text,
        dry_run -> Bool,
        state -> Text,
        headers -> Text,
        rows_total -> Integer,
        rows_new -> Integer,
        rows_updated -> Integer,
        rows_unchanged -> Integer,
        rows_refused -> Integer,
        error -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    import_refusals (id) {
        id -> BigInt,
        import_id -> BigInt,
        line -> Integer,
        cells -> Text,
        reason -> Text,
    }
}

diesel::joinable!(users -> departments (department_id));
diesel::joinable!(cases -> departments (department_id));
diesel::joinable!(cases -> channels (channel));
diesel::joinable!(case_events -> cases (case_id));

diesel::table! {
    assignments (id) {
        id -> BigInt,
        case_id -> BigInt,
        department_id -> BigInt,
        channel -> Text,
        received_day -> Date,
        assigned_at -> Timestamp,
        accept_due_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        returned_at -> Nullable<Timestamp>,
        return_reason_code -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
        pressed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(assignments -> cases (case_id));

diesel::table! {
    known_sign_in_addresses (username, client) {
        username -> Text,
        client -> Text,
        last_success_at -> Timestamp,
    }
}

diesel::table! {
    published_letters (case_id) {
        case_id -> BigInt,
        title -> Text,
        content -> Text,
        reply -> Text,
    }
}

diesel::joinable!(published_letters -> cases (case_id));

diesel::table! {
    case_terms (term, case_id) {
        term -> BigInt,
        case_id -> BigInt,
    }
}

diesel::table! {
    text_queue (case_id) {
        case_id -> BigInt,
    }
}

diesel::table! {
    text_index_backfill (id) {
        id -> Integer,
        upto -> BigInt,
        done_through -> BigInt,
    }
}

diesel::table! {
    topic_rollups (received_day, channel, department_key, term) {
        received_day -> Date,
        channel -> Text,
        department_key -> BigInt,
        term -> Text,
        cases -> BigInt,
    }
}

diesel::table! {
    topic_rollups_monthly (received_month, channel, department_key, term) {
        received_month -> Date,
        channel -> Text,
        department_key -> BigInt,
        term -> Text,
        cases -> BigInt,
    }
}

diesel::table! {
    topic_totals (received_day, term) {
        received_day -> Date,
        term -> Text,
        cases -> BigInt,
    }
}

diesel::table! {
    topic_totals_monthly (received_month, term) {
        received_month -> Date,
        term -> Text,
        cases -> BigInt,
    }
}

diesel::table! {
    topic_rollups_state (id) {
        id -> Integer,
        built_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    case_terms,
    text_index_backfill,
    text_queue,
    topic_rollups,
    topic_rollups_monthly,
    topic_rollups_state,
    topic_totals,
    topic_totals_monthly,
    departments,
    users,
    login_failures,
    known_sign_in_addresses,
    published_letters,
    channels,
    channel_categories,
    calendar_days,
    case_rollups,
    case_rollups_monthly,
    assignments,
    digests_sent,
    tracking_counters,
    cases,
    case_events,
    idempotency_keys,
    outbox,
    public_requests,
    imports,
    import_refusals,
);
