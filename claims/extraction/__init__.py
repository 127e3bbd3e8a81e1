"""Extraction: a report's bytes to attributed claims.

ingest (bytes, files, HTML → `Document`) → nlp (the shared spaCy pipeline) → quotes and attribution
(speaker, cue, content spans) → resolve (who the speaker really is) → normalise (quantities, times,
places, actors, stance) → extract (the `Extractor` stage that runs them in order).
"""
