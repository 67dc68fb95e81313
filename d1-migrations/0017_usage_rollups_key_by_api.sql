PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_usage_rollups` (
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`api_id` text NOT NULL,
	`application_id` text NOT NULL,
	`key_type` text NOT NULL,
	`status_class` text NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`throttled` integer DEFAULT 0 NOT NULL,
	`request_bytes` integer DEFAULT 0 NOT NULL,
	`response_bytes` integer DEFAULT 0 NOT NULL,
	`frames_in` integer DEFAULT 0 NOT NULL,
	`frames_out` integer DEFAULT 0 NOT NULL,
	`latency_ms_sum` integer DEFAULT 0 NOT NULL,
	`latency_ms_max` integer DEFAULT 0 NOT NULL,
	`latency_histogram` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`api_id`, `granularity`, `bucket_start`, `application_id`, `key_type`, `status_class`)
);
--> statement-breakpoint
INSERT INTO `__new_usage_rollups`("granularity", "bucket_start", "api_id", "application_id", "key_type", "status_class", "requests", "throttled", "request_bytes", "response_bytes", "frames_in", "frames_out", "latency_ms_sum", "latency_ms_max", "latency_histogram") SELECT "granularity", "bucket_start", "api_id", "application_id", "key_type", "status_class", "requests", "throttled", "request_bytes", "response_bytes", "frames_in", "frames_out", "latency_ms_sum", "latency_ms_max", "latency_histogram" FROM `usage_rollups`;--> statement-breakpoint
DROP TABLE `usage_rollups`;--> statement-breakpoint
ALTER TABLE `__new_usage_rollups` RENAME TO `usage_rollups`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `usage_rollups_app_idx` ON `usage_rollups` (`application_id`,`granularity`,`bucket_start`);