"""Contact reasons: why customers get in touch, complaint hotspots, repeat contacts and KPIs.

- :mod:`~qa_toolkit.topics.taxonomy`: the topic taxonomy file (``qa-toolkit/taxonomy@1``);
- :mod:`~qa_toolkit.topics.assign`: calls assigned to its topics by meaning, with evidence;
- :mod:`~qa_toolkit.topics.discover`: topics found without labels, stable from day to day;
- :mod:`~qa_toolkit.topics.service`: ``qa topics`` over a store (saving, repeat flags);
- :mod:`~qa_toolkit.topics.fcr` and :mod:`~qa_toolkit.topics.contacts`: first-contact
  resolution from salted contact keys;
- :mod:`~qa_toolkit.topics.hotspots` and :mod:`~qa_toolkit.topics.kpi`: the figures a
  contact centre is run on, beside the period before.

Example:
    >>> from qa_toolkit.topics import run_topics, kpi_report
    >>> run_topics("qa.db", since="2026-11-15", taxonomy="taxonomies/contact_reasons.yaml")
    >>> kpi_report("qa.db", days=7).kpi("fcr").value
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_toolkit.lazy import lazy_names

if TYPE_CHECKING:
    from qa_toolkit.topics.assign import TopicAssigner
    from qa_toolkit.topics.hotspots import hotspots
    from qa_toolkit.topics.kpi import kpi_report
    from qa_toolkit.topics.promote import promote_topic
    from qa_toolkit.topics.service import run_topics, topics_of
    from qa_toolkit.topics.taxonomy import load_taxonomy
    from qa_toolkit.topics.tuning import tune_threshold

__all__ = [
    "TopicAssigner",
    "hotspots",
    "kpi_report",
    "load_taxonomy",
    "promote_topic",
    "run_topics",
    "topics_of",
    "tune_threshold",
]

__getattr__ = lazy_names(
    __name__,
    {
        "TopicAssigner": "qa_toolkit.topics.assign",
        "hotspots": "qa_toolkit.topics.hotspots",
        "kpi_report": "qa_toolkit.topics.kpi",
        "load_taxonomy": "qa_toolkit.topics.taxonomy",
        "promote_topic": "qa_toolkit.topics.promote",
        "run_topics": "qa_toolkit.topics.service",
        "topics_of": "qa_toolkit.topics.service",
        "tune_threshold": "qa_toolkit.topics.tuning",
    },
)
