-- Custom migration (decision 0061): the usage tables as WITHOUT ROWID tables, stored in their primary
-- key's own B-tree. A rowid table keeps the row and, beside it, an index of the key: D1 bills a new
-- rollup row as 3 rows written (row, key, application index) and an upsert into an existing one reads
-- the key index first. Clustered by the key: 2 rows written, and the upsert reads nothing more.
-- drizzle-orm's sqliteTable cannot say WITHOUT ROWID: a later generated migration that rebuilds one
-- of these tables must keep the clause (docs/storage-schema.md).
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
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_usage_rollups`("granularity", "bucket_start", "api_id", "application_id", "key_type", "status_class", "requests", "throttled", "request_bytes", "response_bytes", "frames_in", "frames_out", "latency_ms_sum", "latency_ms_max", "latency_histogram") SELECT "granularity", "bucket_start", "api_id", "application_id", "key_type", "status_class", "requests", "throttled", "request_bytes", "response_bytes", "frames_in", "frames_out", "latency_ms_sum", "latency_ms_max", "latency_histogram" FROM `usage_rollups`;--> statement-breakpoint
DROP TABLE `usage_rollups`;--> statement-breakpoint
ALTER TABLE `__new_usage_rollups` RENAME TO `usage_rollups`;--> statement-breakpoint
CREATE INDEX `usage_rollups_app_idx` ON `usage_rollups` (`application_id`,`granularity`,`bucket_start`);--> statement-breakpoint
CREATE TABLE `__new_usage_errors` (
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`api_id` text NOT NULL,
	`application_id` text NOT NULL,
	`key_type` text NOT NULL,
	`error_code` integer NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`granularity`, `bucket_start`, `api_id`, `application_id`, `key_type`, `error_code`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_usage_errors`("granularity", "bucket_start", "api_id", "application_id", "key_type", "error_code", "count") SELECT "granularity", "bucket_start", "api_id", "application_id", "key_type", "error_code", "count" FROM `usage_errors`;--> statement-breakpoint
DROP TABLE `usage_errors`;--> statement-breakpoint
ALTER TABLE `__new_usage_errors` RENAME TO `usage_errors`;--> statement-breakpoint
CREATE INDEX `usage_errors_app_idx` ON `usage_errors` (`application_id`,`granularity`,`bucket_start`);--> statement-breakpoint
CREATE INDEX `usage_errors_api_idx` ON `usage_errors` (`api_id`,`granularity`,`bucket_start`);--> statement-breakpoint
CREATE TABLE `__new_usage_operations` (
	`granularity` text NOT NULL,
	`bucket_start` integer NOT NULL,
	`api_id` text NOT NULL,
	`application_id` text NOT NULL,
	`operation` text NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`latency_ms_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`granularity`, `bucket_start`, `api_id`, `application_id`, `operation`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_usage_operations`("granularity", "bucket_start", "api_id", "application_id", "operation", "requests", "errors", "latency_ms_sum") SELECT "granularity", "bucket_start", "api_id", "application_id", "operation", "requests", "errors", "latency_ms_sum" FROM `usage_operations`;--> statement-breakpoint
DROP TABLE `usage_operations`;--> statement-breakpoint
ALTER TABLE `__new_usage_operations` RENAME TO `usage_operations`;--> statement-breakpoint
CREATE INDEX `usage_operations_api_idx` ON `usage_operations` (`api_id`,`granularity`,`bucket_start`);--> statement-breakpoint
CREATE TABLE `__new_usage_batches` (
	`batch_id` text PRIMARY KEY NOT NULL,
	`processed_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `__new_usage_batches`("batch_id", "processed_at") SELECT "batch_id", "processed_at" FROM `usage_batches`;--> statement-breakpoint
DROP TABLE `usage_batches`;--> statement-breakpoint
ALTER TABLE `__new_usage_batches` RENAME TO `usage_batches`;--> statement-breakpoint
PRAGMA foreign_keys=ON;
