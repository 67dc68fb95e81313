CREATE TABLE `usage_errors` (
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`api_id` text NOT NULL,
	`application_id` text NOT NULL,
	`key_type` text NOT NULL,
	`error_code` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`granularity`, `bucket_start`, `api_id`, `application_id`, `key_type`, `error_code`)
);
--> statement-breakpoint
CREATE INDEX `usage_errors_app_idx` ON `usage_errors` (`application_id`,`granularity`,`bucket_start`);--> statement-breakpoint
CREATE INDEX `usage_errors_api_idx` ON `usage_errors` (`api_id`,`granularity`,`bucket_start`);