-- When the alert manager took an anomaly. A batch processed again after a crash
-- finds its anomalies already stored and, with this, already alerted: the
-- alert, the OTLP event and the log line are not repeated.
ALTER TABLE log_anomalies ADD COLUMN alerted_at timestamptz;
