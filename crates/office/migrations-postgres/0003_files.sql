-- Files, for offices on several machines (one process keeps them in its data folder): the pieces
-- of uploads still arriving, each as it was confirmed, so an upload may go on at any process; and
-- complete files named by their SHA-256, in chunks, every seat's copy of the same bytes one file.
CREATE TABLE upload_pieces (
    seat_id bigint NOT NULL,
    sha256  text NOT NULL,
    start   bigint NOT NULL,
    bytes   bytea NOT NULL,
    PRIMARY KEY (seat_id, sha256, start)
);

CREATE TABLE blob_chunks (
    sha256 text NOT NULL,
    n      integer NOT NULL,
    bytes  bytea NOT NULL,
    PRIMARY KEY (sha256, n)
);
