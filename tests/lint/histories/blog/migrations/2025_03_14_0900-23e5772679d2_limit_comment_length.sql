-- revision: 23e5772679d2
-- down_revision: 9229ddd61282
-- message: limit comment length

-- migrate:upgrade
ALTER TABLE comments ADD CONSTRAINT comments_body_length CHECK (length(body) <= 10000);
