ALTER TABLE `api_keys` ADD `rolled_to` text;--> statement-breakpoint
ALTER TABLE `application_keys` ADD `registration_token_hash` text;--> statement-breakpoint
ALTER TABLE `authorization_codes` ADD `nonce` text;--> statement-breakpoint
ALTER TABLE `signing_keys` ADD `private_jwk_sealed` text;--> statement-breakpoint
ALTER TABLE `signing_keys` ADD `origin` text DEFAULT 'GENERATED' NOT NULL;--> statement-breakpoint
ALTER TABLE `signing_keys` ADD `activated_at` integer;--> statement-breakpoint
ALTER TABLE `signing_keys` ADD `retire_after` integer;