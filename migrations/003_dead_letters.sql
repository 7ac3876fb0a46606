-- Work set aside after failing ANOMALOG_MAX_DELIVERIES times for what it is
-- (not for an outage), so the work behind it goes on. The embedded default
-- keeps its dead letters here (production keeps stream entries in Redis).
-- Bounded: the newest 10,000 are kept. The payload is the JSON of the work
-- as bytes, so any text is stored as it came.
CREATE TABLE dead_letters (
  id         bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- 'export' (log records) or 'anomalies/<stage>' (detected anomalies a step refused).
  source     text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('entries', 'anomalies')),
  records    integer NOT NULL,
  payload    bytea NOT NULL,
  error      text NOT NULL,
  deliveries integer NOT NULL
);
