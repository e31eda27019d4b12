-- Version 1: the shared event store and the shared quota.

-- Every event any receiver acknowledged, once: `key` is the event's identity
-- (`tencent_meeting::webhook::store::EventKey`), so a redelivery to any replica is recognised.
-- `seq` orders storage (not commit: two receivers' rows commit in either order); `stored_at`
-- is the server's clock when the row was written.
CREATE TABLE tencent_meeting_events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key text NOT NULL UNIQUE,
    event text NOT NULL,
    trace_id text,
    meeting_id text,
    -- As `Event` serialises: {"event": …, "trace_id": …, "payload": <the entry as received>}.
    body jsonb NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tencent_meeting_events_stored_at ON tencent_meeting_events (stored_at);
CREATE INDEX tencent_meeting_events_meeting_id ON tencent_meeting_events (meeting_id);

-- One row per app: GCRA's "theoretical arrival time", the earliest moment the next request of
-- the app may be sent. Times are the database server's clock, so that senders on machines
-- whose clocks disagree share one schedule.
CREATE TABLE tencent_meeting_quota (
    app text PRIMARY KEY,
    next_slot timestamptz NOT NULL
);
