"""Per-Project pod resources on Kubernetes.

In production each Run is one Kubernetes Job (``K8sRunLauncher``, see
``deploy/dagster.k8s.yaml``). A Project that declares the resources its Runs
need gets them through the ``dagster-k8s/config`` tag of its job, which the
launcher reads when it builds the run's pod::

    >>> k8s_job_tag({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}})
    {'dagster-k8s/config': '{"container_config": {"resources": {"limits": {"memory": "2Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}}}}'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from dobo_engine.errors import InvalidField

__all__ = ["K8S_CONFIG_TAG", "k8s_job_tag"]

# dagster_k8s.job.USER_DEFINED_K8S_CONFIG_KEY, spelt out so that importing
# this module does not pull in the Kubernetes client.
K8S_CONFIG_TAG = "dagster-k8s/config"

_SECTIONS = ("requests", "limits")
_RESOURCES = ("cpu", "memory", "ephemeral-storage")
# A Kubernetes quantity: a decimal number and an optional binary/decimal suffix or exponent.
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


def k8s_job_tag(resources: Mapping[str, Any] | None) -> dict[str, str]:
    """The job tag that gives a Project's Run pods ``resources``.

    ``resources`` is ``{requests: {cpu, memory}, limits: {cpu, memory}}``
    (either section optional; ``ephemeral-storage`` is accepted too), with
    Kubernetes quantities as strings or numbers. Nothing declared gives no tag,
    so the launcher's defaults apply. A malformed declaration is
    ``InvalidField``.
    """
    if not resources:
        return {}
    if not isinstance(resources, Mapping):
        raise InvalidField(f"resources must be a mapping of requests/limits, got {type(resources).__name__}")
    unknown = sorted(set(resources) - set(_SECTIONS))
    if unknown:
        raise InvalidField(f"resources: unknown section(s) {', '.join(unknown)}; expected requests, limits")
    spec: dict[str, dict[str, str]] = {}
    for section in _SECTIONS:
        values = resources.get(section)
        if not values:
            continue
        if not isinstance(values, Mapping):
            raise InvalidField(f"resources.{section} must be a mapping of cpu/memory")
        spec[section] = {name: _quantity(section, name, value) for name, value in sorted(values.items())}
    if not spec:
        return {}
    return {K8S_CONFIG_TAG: json.dumps({"container_config": {"resources": spec}}, sort_keys=True)}


def _quantity(section: str, name: str, value: Any) -> str:
    if name not in _RESOURCES:
        raise InvalidField(f"resources.{section}: unknown resource {name!r}; expected {', '.join(_RESOURCES)}")
    text = str(value).strip() if isinstance(value, (str, int, float, Decimal)) and not isinstance(value, bool) else ""
    if not _QUANTITY.match(text):
        raise InvalidField(f"resources.{section}.{name}: {value!r} is not a Kubernetes quantity (e.g. 500m, 2Gi)")
    return text
