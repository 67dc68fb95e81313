ALTER TABLE `apis` ADD `type` text DEFAULT 'HTTP' NOT NULL;--> statement-breakpoint
ALTER TABLE `apis` ADD `graphql` text;