-- Version 1: the shared quota.

-- One row per app: GCRA's "theoretical arrival time", the earliest moment the next request of
-- the app may be sent. Times are the database server's clock, so that senders on machines
-- whose clocks disagree share one schedule.
CREATE TABLE tencent_meeting_quota (
    app text PRIMARY KEY,
    next_slot timestamptz NOT NULL
);
