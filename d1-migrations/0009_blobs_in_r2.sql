ALTER TABLE `apis` ADD `openapi_key` text;--> statement-breakpoint
ALTER TABLE `revisions` ADD `definition_key` text;