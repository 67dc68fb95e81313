ALTER TABLE `apis` ADD `type` text DEFAULT 'HTTP' NOT NULL;--> statement-breakpoint
ALTER TABLE `apis` ADD `streaming` text;--> statement-breakpoint
ALTER TABLE `usage_rollups` ADD `frames_in` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `usage_rollups` ADD `frames_out` integer DEFAULT 0 NOT NULL;