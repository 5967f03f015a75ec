-- A domain verified over DNS publishes this token in a TXT record at the domain.
ALTER TABLE organization_domains ADD COLUMN verification_token TEXT;
