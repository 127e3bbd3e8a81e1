"""Comparison: claims of many reports to incidents, fact sheets and relations.

embed and cluster (vectors, k-NN graphs) → incidents (reports about one real-world event) → frames
(what each claim asserts) → facts (claims whose frames describe the same thing, across reports) →
relate (corroborates, conflicts, update, with a reason) → compare (the `Comparer` stage, with
independence and provenance) → update (one incident rebuilt as a report arrives or leaves).
"""
