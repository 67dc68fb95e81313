CREATE TABLE `external_clients` (
	`id` text PRIMARY KEY NOT NULL,
	`key_manager_id` text NOT NULL,
	`client_id` text NOT NULL,
	`application_id` text NOT NULL,
	`key_type` text NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`key_manager_id`) REFERENCES `key_managers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`application_id`) REFERENCES `applications`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `external_clients_km_client_uq` ON `external_clients` (`key_manager_id`,`client_id`);--> statement-breakpoint
CREATE INDEX `external_clients_app_idx` ON `external_clients` (`application_id`);--> statement-breakpoint
CREATE TABLE `key_managers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`display_name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`discovery_url` text NOT NULL,
	`issuer` text NOT NULL,
	`jwks_uri` text,
	`token_endpoint` text,
	`introspection_endpoint` text,
	`registration_endpoint` text,
	`audience` text NOT NULL,
	`claim_mappings` text DEFAULT '{"clientId":"client_id","scopes":"scope","user":"sub"}' NOT NULL,
	`environments` text DEFAULT '[]' NOT NULL,
	`introspection_client_id` text,
	`introspection_client_secret` text,
	`jwks_max_age_seconds` integer DEFAULT 600 NOT NULL,
	`jwks_cooldown_seconds` integer DEFAULT 30 NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	`updated_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `key_managers_name_unique` ON `key_managers` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `key_managers_issuer_unique` ON `key_managers` (`issuer`);--> statement-breakpoint
ALTER TABLE `apis` ADD `key_managers` text DEFAULT '[]' NOT NULL;