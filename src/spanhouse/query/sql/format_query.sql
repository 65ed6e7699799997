-- ClickHouse's own parser on an analyst's ad-hoc query: fails unless it is exactly one statement,
-- else returns its canonical text (no comments, no trailing semicolon, literals escaped, one
-- clause keyword per line).
SELECT formatQuery({query:String})
