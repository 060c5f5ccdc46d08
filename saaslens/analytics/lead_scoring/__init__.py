"""Lead conversion: which open leads are likely to be won, and why.

`train` fits and evaluates a model on leads whose outcome is known; `score`
ranks open leads with the features that pushed each one most.
"""

from saaslens.analytics.lead_scoring.drivers import Driver, ScoredLead, score
from saaslens.analytics.lead_scoring.training import MIN_PER_OUTCOME, Scorer, Training, train

__all__ = ["MIN_PER_OUTCOME", "Driver", "ScoredLead", "Scorer", "Training", "score", "train"]
