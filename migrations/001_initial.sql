-- The pattern library mirrored for SQL (the live library is in Redis or memory).
CREATE TABLE log_patterns (
  id          text PRIMARY KEY,
  service     text NOT NULL,
  template    text NOT NULL,
  example     text NOT NULL DEFAULT '',
  level       text NOT NULL,
  count       bigint NOT NULL DEFAULT 0,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL,
  muted       boolean NOT NULL DEFAULT false,
  muted_until timestamptz,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_patterns_service_last_seen ON log_patterns (service, last_seen DESC);

CREATE TABLE log_anomalies (
  id            text PRIMARY KEY,
  detected_at   timestamptz NOT NULL,
  "timestamp"   timestamptz NOT NULL,
  service       text NOT NULL,
  level         text NOT NULL,
  kind          text NOT NULL,
  pattern_id    text NOT NULL,
  template      text NOT NULL,
  message       text NOT NULL,
  anomaly_score double precision NOT NULL,
  reason        text NOT NULL,
  trace_id      text NOT NULL DEFAULT '',
  span_id       text NOT NULL DEFAULT '',
  count         integer NOT NULL DEFAULT 1,
  samples       jsonb NOT NULL DEFAULT '[]',
  attributes    jsonb NOT NULL DEFAULT '{}',
  resource      jsonb NOT NULL DEFAULT '{}'
);
-- "What went wrong in service X lately" and "what went wrong anywhere lately".
CREATE INDEX log_anomalies_service_detected ON log_anomalies (service, detected_at DESC);
CREATE INDEX log_anomalies_detected ON log_anomalies (detected_at DESC);
CREATE INDEX log_anomalies_pattern_detected ON log_anomalies (pattern_id, detected_at DESC);

-- One row per alert; also the delivery outbox.
CREATE TABLE alerts (
  id               text PRIMARY KEY,
  created_at       timestamptz NOT NULL,
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  title            text NOT NULL,
  description      text NOT NULL,
  service          text NOT NULL,
  pattern_id       text NOT NULL,
  kind             text NOT NULL,
  template         text NOT NULL,
  anomaly_score    double precision NOT NULL,
  trace_id         text NOT NULL DEFAULT '',
  -- Anomalies grouped into this alert (the grouping window) and the log records behind them.
  anomaly_count    integer NOT NULL,
  record_count     bigint NOT NULL,
  first_seen       timestamptz NOT NULL,
  last_seen        timestamptz NOT NULL,
  samples          jsonb NOT NULL DEFAULT '[]',
  -- Set on a follow-up alert: the alert whose pattern kept growing.
  parent_id        text REFERENCES alerts (id),
  -- Records of this service+pattern after the grouping window, during the cooldown.
  suppressed_count bigint NOT NULL DEFAULT 0,
  followup_sent    boolean NOT NULL DEFAULT false,
  -- Outbox: 'pending' while some channel still has to be tried, then 'done'.
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
  -- Per channel: {"slack": {"state": "pending|delivered|failed", "attempts": n, "last_error": ..., "delivered_at": ...}}
  delivery         jsonb NOT NULL DEFAULT '{}',
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  next_attempt_at  timestamptz NOT NULL,
  claimed_until    timestamptz
);
CREATE INDEX alerts_outbox ON alerts (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alerts_service_pattern ON alerts (service, pattern_id, created_at DESC) WHERE parent_id IS NULL;
CREATE INDEX alerts_created ON alerts (created_at DESC);
