-- Bookkeeping for the migration runner: one row per applied migration file.
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32 COMMENT 'Number at the start of the migration file name',
    name String COMMENT 'Migration file name',
    checksum String COMMENT 'SHA-256 of the statement as applied, hex',
    applied_at DateTime64(3) DEFAULT now64(3) COMMENT 'When the runner applied it'
)
ENGINE = MergeTree
ORDER BY version
COMMENT 'Migrations applied by spanhouse migrate; the runner skips versions listed here'
