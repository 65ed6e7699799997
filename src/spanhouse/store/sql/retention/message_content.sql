ALTER TABLE message_content MODIFY TTL stored_at + toIntervalDay({days:UInt32})
