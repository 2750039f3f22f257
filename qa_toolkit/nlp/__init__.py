"""Text helpers shared by the detectors: normalisation, fuzzy matching, sentiment, embeddings."""
