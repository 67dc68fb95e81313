-- Decision 0057: one name per role. The developer role was stored as 'subscriber' (WSO2's name);
-- rename it in every column that holds a role name. A list keeps each role once and its order.
UPDATE `users` SET `role` = 'developer' WHERE `role` = 'subscriber';
--> statement-breakpoint
UPDATE `apis` SET `visible_roles` = (
	SELECT json_group_array(DISTINCT CASE `value` WHEN 'subscriber' THEN 'developer' ELSE `value` END)
	FROM json_each(`apis`.`visible_roles`)
) WHERE EXISTS (SELECT 1 FROM json_each(`apis`.`visible_roles`) WHERE `value` = 'subscriber');
--> statement-breakpoint
UPDATE `gateway_environments` SET `visible_roles` = (
	SELECT json_group_array(DISTINCT CASE `value` WHEN 'subscriber' THEN 'developer' ELSE `value` END)
	FROM json_each(`gateway_environments`.`visible_roles`)
) WHERE EXISTS (SELECT 1 FROM json_each(`gateway_environments`.`visible_roles`) WHERE `value` = 'subscriber');
--> statement-breakpoint
-- The audit log answers what was recorded, so its role names are renamed too: `role` (user.create,
-- user.signup) and `visibleRoles` (api.*, environment.*) at the top of `before` / `after`. A row
-- whose JSON is not an object is left as it is.
UPDATE `audit_log` SET `after` = json_set(`after`, '$.role', 'developer')
WHERE CASE WHEN json_valid(`after`) AND json_type(`after`) = 'object' THEN json_extract(`after`, '$.role') = 'subscriber' ELSE 0 END;
--> statement-breakpoint
UPDATE `audit_log` SET `before` = json_set(`before`, '$.role', 'developer')
WHERE CASE WHEN json_valid(`before`) AND json_type(`before`) = 'object' THEN json_extract(`before`, '$.role') = 'subscriber' ELSE 0 END;
--> statement-breakpoint
UPDATE `audit_log` SET `after` = json_set(`after`, '$.visibleRoles', json((
	SELECT json_group_array(DISTINCT CASE `value` WHEN 'subscriber' THEN 'developer' ELSE `value` END)
	FROM json_each(`audit_log`.`after`, '$.visibleRoles')
)))
WHERE EXISTS (
	SELECT 1 FROM json_each(CASE WHEN json_valid(`audit_log`.`after`) AND json_type(`audit_log`.`after`, '$.visibleRoles') = 'array' THEN `audit_log`.`after` END, '$.visibleRoles')
	WHERE `value` = 'subscriber'
);
--> statement-breakpoint
UPDATE `audit_log` SET `before` = json_set(`before`, '$.visibleRoles', json((
	SELECT json_group_array(DISTINCT CASE `value` WHEN 'subscriber' THEN 'developer' ELSE `value` END)
	FROM json_each(`audit_log`.`before`, '$.visibleRoles')
)))
WHERE EXISTS (
	SELECT 1 FROM json_each(CASE WHEN json_valid(`audit_log`.`before`) AND json_type(`audit_log`.`before`, '$.visibleRoles') = 'array' THEN `audit_log`.`before` END, '$.visibleRoles')
	WHERE `value` = 'subscriber'
);
