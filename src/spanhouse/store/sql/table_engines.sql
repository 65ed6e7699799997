SELECT name, engine_full, engine FROM system.tables WHERE database = currentDatabase() AND name IN {tables:Array(String)}
