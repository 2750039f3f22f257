"""Schema v5: contact reasons (topics) and the keys that link a customer's repeat contacts.

- ``topic_space``: the embedding space discovered topics live in (the encoder and each
  language's mean vector, JSON), so later days are read the same way;
- ``topics``: every topic, from a taxonomy or discovered, with its names and key phrases
  (JSON by language), example calls, and for discovered ones the centroid and radius that
  later calls are matched against; ``status`` is active, proposed or promoted;
- ``call_topics``: each call's topic ('' when none reached the threshold), how it was
  decided (``source``), the similarity and the evidence (the customer's sentence, redacted),
  and what produced it;
- ``contact_keys``: salted hashes (HMAC-SHA-256) of what identifies the customer of a call
  (customer id, phone or account number), never the values themselves; two calls sharing a
  key are the same customer.
"""

from __future__ import annotations

V5_DESCRIPTION = "contact reasons: topics, each call's topic, hashed contact keys"

V5_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE topic_space (
        space_id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        means TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE topics (
        topic_id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        name TEXT NOT NULL,
        key_phrases TEXT NOT NULL,
        examples TEXT NOT NULL,
        centroid TEXT NOT NULL DEFAULT '',
        radius DOUBLE PRECISION,
        taxonomy TEXT NOT NULL DEFAULT '',
        first_day TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE call_topics (
        call_id TEXT PRIMARY KEY REFERENCES calls (call_id),
        topic_id TEXT NOT NULL,
        source TEXT NOT NULL,
        similarity DOUBLE PRECISION NOT NULL,
        evidence TEXT NOT NULL,
        producer TEXT NOT NULL,
        transcript_key TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE contact_keys (
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        contact_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (call_id, contact_key)
    )""",
    "CREATE INDEX call_topics_by_topic ON call_topics (topic_id)",
    "CREATE INDEX contact_keys_by_key ON contact_keys (contact_key)",
)

V5_TABLES: tuple[str, ...] = ("topic_space", "topics", "call_topics", "contact_keys")
