ALTER TABLE `api_resources` ADD `policies` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `apis` ADD `policies` text DEFAULT '[]' NOT NULL;