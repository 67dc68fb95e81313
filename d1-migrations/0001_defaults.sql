-- The policies and gateway environment WSO2 API Manager ships with, so a fresh install is usable.
INSERT INTO `throttling_policies` (`id`, `kind`, `name`, `display_name`, `description`, `quota_type`, `limit`, `unit_time`, `time_unit`) VALUES
  ('pol_sub_unlimited', 'subscription', 'Unlimited', 'Unlimited', 'Allows unlimited requests', 'requestCount', NULL, 1, 'min'),
  ('pol_sub_gold', 'subscription', 'Gold', 'Gold', 'Allows 5000 requests per minute', 'requestCount', 5000, 1, 'min'),
  ('pol_sub_silver', 'subscription', 'Silver', 'Silver', 'Allows 2000 requests per minute', 'requestCount', 2000, 1, 'min'),
  ('pol_sub_bronze', 'subscription', 'Bronze', 'Bronze', 'Allows 1000 requests per minute', 'requestCount', 1000, 1, 'min'),
  ('pol_app_unlimited', 'application', 'Unlimited', 'Unlimited', 'Allows unlimited requests', 'requestCount', NULL, 1, 'min'),
  ('pol_app_10permin', 'application', '10PerMin', '10PerMin', 'Allows 10 requests per minute', 'requestCount', 10, 1, 'min'),
  ('pol_app_20permin', 'application', '20PerMin', '20PerMin', 'Allows 20 requests per minute', 'requestCount', 20, 1, 'min'),
  ('pol_app_50permin', 'application', '50PerMin', '50PerMin', 'Allows 50 requests per minute', 'requestCount', 50, 1, 'min'),
  ('pol_adv_unlimited', 'advanced', 'Unlimited', 'Unlimited', 'Allows unlimited requests', 'requestCount', NULL, 1, 'min'),
  ('pol_adv_10kpermin', 'advanced', '10KPerMin', '10KPerMin', 'Allows 10000 requests per minute', 'requestCount', 10000, 1, 'min'),
  ('pol_adv_20kpermin', 'advanced', '20KPerMin', '20KPerMin', 'Allows 20000 requests per minute', 'requestCount', 20000, 1, 'min'),
  ('pol_adv_50kpermin', 'advanced', '50KPerMin', '50KPerMin', 'Allows 50000 requests per minute', 'requestCount', 50000, 1, 'min');
--> statement-breakpoint
INSERT INTO `gateway_environments` (`id`, `name`, `display_name`, `type`, `visible_roles`, `hostname`, `allow_private_backends`) VALUES
  ('env_production', 'production', 'Default', 'hybrid', '[]', NULL, 0);
--> statement-breakpoint
INSERT INTO `settings` (`key`, `value`) VALUES
  ('selfSignup', 'true'),
  ('workflows', '{"USER_SIGNUP":false,"APPLICATION_CREATION":false,"SUBSCRIPTION_CREATION":false}');
