-- Timestamps are UTC in TIMESTAMP (without time zone) columns: diesel's
-- MultiConnection has no timestamptz, and both backends share one schema.

CREATE TABLE departments (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE,
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'clerk', 'handler', 'leader')),
    department_id BIGINT REFERENCES departments (id),
    email TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    token_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (role <> 'handler' OR department_id IS NOT NULL)
);

CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_username_at ON login_failures (username, at);

CREATE TABLE channels (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    time_limit INTEGER NOT NULL CHECK (time_limit > 0),
    time_limit_unit TEXT NOT NULL CHECK (time_limit_unit IN ('workday', 'calendar_day', 'month')),
    extension_limit INTEGER NOT NULL CHECK (extension_limit >= 0),
    extension_unit TEXT NOT NULL CHECK (extension_unit IN ('workday', 'calendar_day', 'month')),
    tracking_prefix TEXT NOT NULL UNIQUE,
    two_dimension_rating BOOLEAN NOT NULL,
    sort_order INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE tracking_counters (
    channel TEXT NOT NULL REFERENCES channels (code),
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (channel, year)
);

CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    tracking_no TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL REFERENCES channels (code),
    external_ref TEXT,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    category TEXT,
    citizen_name TEXT,
    citizen_phone TEXT,
    citizen_email TEXT,
    citizen_address TEXT,
    is_public BOOLEAN NOT NULL,
    query_code_hash TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP,
    state TEXT NOT NULL CHECK (state IN ('registered', 'assigned', 'processing', 'reviewing', 'closed', 'invalid')),
    department_id BIGINT REFERENCES departments (id),
    reply TEXT,
    replied_at TIMESTAMP,
    closed_at TIMESTAMP,
    rating TEXT,
    result_rating TEXT,
    rating_source TEXT,
    rating_comment TEXT,
    rated_at TIMESTAMP,
    duplicate_of BIGINT REFERENCES cases (id),
    reopen_count INTEGER NOT NULL DEFAULT 0,
    suspended BOOLEAN NOT NULL DEFAULT FALSE,
    created_by BIGINT REFERENCES users (id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (channel, external_ref)
);
CREATE INDEX cases_state ON cases (state, id);
CREATE INDEX cases_department ON cases (department_id, id);
CREATE INDEX cases_channel_received ON cases (channel, received_at);
CREATE INDEX cases_received ON cases (received_at);
CREATE INDEX cases_due ON cases (due_at);

CREATE TABLE case_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    action TEXT NOT NULL,
    actor_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    from_state TEXT,
    to_state TEXT,
    note TEXT,
    details TEXT
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- The event log is the audit trail: append-only, enforced by the database too.
CREATE FUNCTION case_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

INSERT INTO channels (code, name, time_limit, time_limit_unit, extension_limit, extension_unit, tracking_prefix, two_dimension_rating, sort_order, updated_at) VALUES
    ('mailbox', '公开信箱', 15, 'workday', 15, 'workday', 'MB', FALSE, 1, timezone('UTC', now())),
    ('minhu', '民呼我为', 15, 'workday', 15, 'workday', 'MH', FALSE, 2, timezone('UTC', now())),
    ('gov_web', '中国政府网网民留言', 15, 'workday', 15, 'workday', 'GW', FALSE, 3, timezone('UTC', now())),
    ('disclosure', '政府信息公开申请', 20, 'workday', 20, 'workday', 'GK', FALSE, 4, timezone('UTC', now())),
    ('suggestion', '人大代表建议和政协委员提案', 3, 'month', 3, 'month', 'JY', TRUE, 5, timezone('UTC', now()));
