-- Change notification across replicas: each replica holds one connection LISTENing on these
-- channels and wakes its event stream (rotor_events) or its scheduler (rotor_schedules).
-- The NOTIFY is sent by the database on COMMIT, whichever replica (or `rotor` command, or
-- hand-written SQL) wrote the row, and never for a transaction that rolled back.
--
-- The payload is the table's schema, so installations sharing a database in different
-- schemas ignore each other's notifications (channels are per database, not per schema).
-- The payload carries no id: a listener reads the table from its own cursor, and PostgreSQL
-- folds identical notifications of one transaction into one, so a rotation step that
-- appends two events costs one notification, not two.

CREATE FUNCTION rotor_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(TG_ARGV[0], TG_TABLE_SCHEMA);
  RETURN NULL;
END;
$$;

-- Statement level: one notification per INSERT statement (and, folded, per transaction).
CREATE TRIGGER rotation_events_notify
  AFTER INSERT ON rotation_events
  FOR EACH STATEMENT EXECUTE FUNCTION rotor_notify_change('rotor_events');

-- The scheduler sleeps until the earliest due time it knows (at most 1 s). It only needs
-- waking when a schedule may now be due sooner than that: a new enabled schedule, or one
-- whose next date moved earlier or that was re-enabled. Rotation starts and finishes move
-- the date later, so 500 rotations/s cause no notifications here.
CREATE TRIGGER rotation_configs_notify_insert
  AFTER INSERT ON rotation_configs
  FOR EACH ROW WHEN (NEW.enabled AND NEW.next_rotation_at IS NOT NULL)
  EXECUTE FUNCTION rotor_notify_change('rotor_schedules');

CREATE TRIGGER rotation_configs_notify_update
  AFTER UPDATE ON rotation_configs
  FOR EACH ROW WHEN (
    NEW.enabled AND NEW.next_rotation_at IS NOT NULL
    AND (NOT OLD.enabled OR OLD.next_rotation_at IS NULL OR NEW.next_rotation_at < OLD.next_rotation_at)
  )
  EXECUTE FUNCTION rotor_notify_change('rotor_schedules');
