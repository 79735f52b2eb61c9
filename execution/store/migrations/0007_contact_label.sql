-- What the agent saved the buyer as in the phone's address book (Green API's
-- senderContactName, "Tan - lowballer"): shown to the agent and operators only. The buyer's
-- own WhatsApp name (senderName) stays in contact_name, the one the assistant may address.

ALTER TABLE conversations ADD COLUMN contact_label TEXT;
