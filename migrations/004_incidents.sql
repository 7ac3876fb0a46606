-- Incidents: the alerts of one service within ANOMALOG_INCIDENT_WINDOW of its
-- first alert form one incident. The first alert goes out at once; the others
-- are stored but held, and one follow-up row, due when the window closes,
-- reports them all.
ALTER TABLE alerts ADD COLUMN incident_id text;
-- The level of the log records behind the alert (new ERROR pattern, ...).
ALTER TABLE alerts ADD COLUMN level text NOT NULL DEFAULT '';
-- On a held alert: the incident follow-up that reports it instead of a message of its own.
ALTER TABLE alerts ADD COLUMN grouped_into text;
-- On an incident follow-up: {"alerts": n, "counts": {label: n}, "top": [the top alerts by score]}.
ALTER TABLE alerts ADD COLUMN digest jsonb;
CREATE INDEX alerts_incident ON alerts (incident_id) WHERE incident_id IS NOT NULL;

-- Set when the anomaly reaches the alert manager: the incident it was alerted or grouped in.
ALTER TABLE log_anomalies ADD COLUMN incident_id text;
CREATE INDEX log_anomalies_incident ON log_anomalies (incident_id) WHERE incident_id IS NOT NULL;

-- The latest incident of each service. Its row is also the lock that lets
-- processes sharing this database agree on one incident per service.
CREATE TABLE service_incidents (
  service        text PRIMARY KEY,
  incident_id    text NOT NULL,
  first_alert_id text NOT NULL,
  opened_at      timestamptz NOT NULL,
  closes_at      timestamptz NOT NULL,
  -- Channels the incident's alerts went to at once: an alert for another channel is not held.
  channels       jsonb NOT NULL DEFAULT '[]'
);
