"""Every table of the store; importing this module registers them all."""

from saaslens.data.models.accounts import ApiToken, Session, SignInFailure, User
from saaslens.data.models.automation import (
    Alert,
    AlertRule,
    Execution,
    ExecutionLog,
    Schedule,
    Script,
    ScriptVersion,
)
from saaslens.data.models.base import Base
from saaslens.data.models.meta import StoreState
from saaslens.data.models.predictions import LeadModel
from saaslens.data.models.records import (
    Customer,
    Event,
    ExchangeRate,
    Lead,
    LeadStageChange,
    Payment,
    Subscription,
    SubscriptionChange,
)

__all__ = [
    "Alert",
    "AlertRule",
    "ApiToken",
    "Base",
    "Customer",
    "Event",
    "ExchangeRate",
    "Execution",
    "ExecutionLog",
    "Lead",
    "LeadModel",
    "LeadStageChange",
    "Payment",
    "Schedule",
    "Script",
    "ScriptVersion",
    "Session",
    "SignInFailure",
    "StoreState",
    "Subscription",
    "SubscriptionChange",
    "User",
]
