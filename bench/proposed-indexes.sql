-- stats --by domain: a covering index, so the GROUP BY walks the index
-- in domain order and never touches the 600-byte table rows
CREATE INDEX bounces_domain_category ON bounces (domain, category, recipient, bounced_at);
-- export --what suppressed: per-recipient verdict from the index alone;
-- its prefix also serves list --recipient, so it replaces bounces_recipient
CREATE INDEX bounces_recipient_category ON bounces (recipient, category, bounced_at);
DROP INDEX bounces_recipient;
DROP INDEX bounces_domain;
