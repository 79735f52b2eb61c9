-- A message its sender deleted keeps no content (execution/privacy.py): the ones deleted
-- before this rule lose their text and payload now.
UPDATE messages SET text = NULL, raw_payload = NULL WHERE deleted_at IS NOT NULL;
