-- Credentials that expire (OAuth tokens) schedule their own refresh, and a rotation
-- remembers what it sent to a provider before the answer is stored.

-- When the stored credential's expiry asks for the next rotation (set by the rotator);
-- combined with the rules, the earlier wins.
ALTER TABLE rotation_configs ADD COLUMN expiry_due_at INTEGER;
-- Why the schedule stopped until a person acts (e.g. 'reauthorization-required').
ALTER TABLE rotation_configs ADD COLUMN attention TEXT;
-- The rotator's write-ahead intent for this run (JSON, never secret material): which
-- chain it refreshes and when it sent which refresh token (by hash).
ALTER TABLE rotations ADD COLUMN checkpoint TEXT;
