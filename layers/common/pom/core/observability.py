"""The one Powertools Logger and Metrics of every function, used by the handlers and the shared code.

One object each, so the keys a handler appends (``logger.append_keys``) are on the shared code's log
lines too, and its error events keep their fields as JSON keys. The service name and the metrics
namespace come from the template's Globals (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE).
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics

# Most invocations record no business metric; Powertools would warn about it on every one of them.
warnings.filterwarnings("ignore", message="No application metrics to publish")
logger = Logger()
metrics = Metrics()
