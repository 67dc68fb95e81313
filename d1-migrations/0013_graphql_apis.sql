CREATE TABLE `usage_operations` (
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`api_id` text NOT NULL,
	`application_id` text NOT NULL,
	`operation` text NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`latency_ms_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`granularity`, `bucket_start`, `api_id`, `application_id`, `operation`)
);
--> statement-breakpoint
CREATE INDEX `usage_operations_api_idx` ON `usage_operations` (`api_id`,`granularity`,`bucket_start`);--> statement-breakpoint
ALTER TABLE `apis` ADD `graphql` text;