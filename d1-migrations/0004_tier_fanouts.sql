CREATE TABLE `tier_fanouts` (
	`policy_id` text PRIMARY KEY NOT NULL,
	`generation` integer NOT NULL,
	`cursor` text DEFAULT '' NOT NULL,
	`total` integer,
	`done` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`last_error` text,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`policy_id`) REFERENCES `throttling_policies`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `revoked_tokens_app_idx` ON `revoked_tokens` (`application_id`,`expires_at`);--> statement-breakpoint
CREATE INDEX `subscriptions_tier_idx` ON `subscriptions` (`tier`,`id`);