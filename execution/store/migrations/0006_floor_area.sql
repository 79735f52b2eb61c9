-- A listing's floor area in square feet (optional): the fact check compares sizes a reply
-- states with it (execution/listing_facts.py), and tool results quote it.

ALTER TABLE properties ADD COLUMN floor_area_sqft INTEGER CHECK (floor_area_sqft > 0);
