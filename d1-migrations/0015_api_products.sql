CREATE TABLE `api_product_operations` (
	`product_id` text NOT NULL,
	`api_id` text NOT NULL,
	`method` text NOT NULL,
	`path_template` text NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`product_id`, `api_id`, `method`, `path_template`),
	FOREIGN KEY (`product_id`) REFERENCES `apis`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`api_id`) REFERENCES `apis`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `api_product_operations_api_idx` ON `api_product_operations` (`api_id`);--> statement-breakpoint
ALTER TABLE `apis` ADD `kind` text DEFAULT 'API' NOT NULL;