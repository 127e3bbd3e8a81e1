"""Batch extraction and comparison over news archives (issue 11).

`core` is the engine-neutral part (Arrow record batches in and out, models loaded once per
worker); `engines` runs it in this process, a local process pool or Ray Data; `run` orchestrates
a resumable run into Parquet (`schema` is the contract); `inputs` streams JSON Lines, Parquet or
folders of text/HTML; `progress` reports. Usage and the Parquet contract: docs/batch.md.
"""
