CREATE TABLE `alert_events` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text NOT NULL,
	`fired_at` integer NOT NULL,
	`value` real NOT NULL,
	`threshold` integer NOT NULL,
	`delivery_status` integer,
	FOREIGN KEY (`rule_id`) REFERENCES `alert_rules`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alert_events_rule_idx` ON `alert_events` (`rule_id`,`fired_at`);--> statement-breakpoint
CREATE INDEX `alert_rules_scope_idx` ON `alert_rules` (`scope_type`,`scope_id`);