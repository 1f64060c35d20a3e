-- The inbox's pages, longest waiting first, under each filter an editor uses: by state, by
-- department or column with a state, and over every state. Each lets SQLite walk the items in
-- waiting order and stop after the page instead of sorting the whole table. The two indexes they
-- replace were prefixes of them.
DROP INDEX items_department;
DROP INDEX items_column;
CREATE INDEX items_department_waiting ON items(department_id, state, waiting_since);
CREATE INDEX items_column_waiting ON items(column_id, state, waiting_since);
CREATE INDEX items_all_waiting ON items(waiting_since) WHERE waiting_since IS NOT NULL;
