"""Root fields for alert rules: admins author them, analysts check them, viewers watch."""

from __future__ import annotations

import strawberry

from saaslens.resolvers import alerts as resolve
from saaslens.schema.permissions import IsAdmin, IsAnalyst, IsViewer, needs
from saaslens.schema.types.alerts import (
    Alert,
    AlertRule,
    AlertRuleChangeResult,
    CheckAlertRuleResult,
    CreateAlertRuleResult,
    UpdateAlertRuleResult,
)


@strawberry.type
class AlertsQuery:
    alert_rules: list[AlertRule] = strawberry.field(
        resolver=resolve.alert_rules, extensions=needs(IsViewer)
    )
    alerts: list[Alert] = strawberry.field(
        resolver=resolve.list_alerts,
        extensions=needs(IsViewer),
        description="The newest alerts first, optionally of one rule.",
    )


@strawberry.type
class AlertsMutation:
    create_alert_rule: CreateAlertRuleResult = strawberry.mutation(
        resolver=resolve.create_alert_rule, extensions=needs(IsAdmin)
    )
    update_alert_rule: UpdateAlertRuleResult = strawberry.mutation(
        resolver=resolve.update_alert_rule, extensions=needs(IsAdmin)
    )
    set_alert_rule_enabled: AlertRuleChangeResult = strawberry.mutation(
        resolver=resolve.set_alert_rule_enabled,
        extensions=needs(IsAdmin),
        description="A disabled rule is not checked on its schedule.",
    )
    delete_alert_rule: AlertRuleChangeResult = strawberry.mutation(
        resolver=resolve.delete_alert_rule,
        extensions=needs(IsAdmin),
        description="Delete the rule and the alerts it recorded.",
    )
    evaluate_alert_rule: CheckAlertRuleResult = strawberry.mutation(
        resolver=resolve.evaluate_alert_rule,
        extensions=needs(IsAnalyst),
        description="Check the rule now; it fires as on its schedule, cool-down included.",
    )


@strawberry.type
class AlertsSubscription:
    alerts = strawberry.subscription(
        resolver=resolve.alert_updates,
        extensions=needs(IsViewer),
        description="Every alert recorded from now on, optionally of one rule.",
    )
