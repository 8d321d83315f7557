"""Run by test_crash.py in a subprocess: a --force build whose embedder blocks at a chosen
batch (after writing a marker file) so the test can SIGKILL it mid-build."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from index.build import build_index
from newsdesk.settings import Settings
from tests.index.fakes import CountingEmbeddings


class BlockingEmbeddings(CountingEmbeddings):
    def __init__(self, marker: Path, block_at_batch: int) -> None:
        super().__init__(size=64)
        self.stamp_model = "CountingEmbeddings:64"  # same stamp as the tests' embedder
        self.marker = marker
        self.block_at = block_at_batch
        self.batches = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.batches += 1
        if self.batches == self.block_at:
            self.marker.write_text(str(len(self.embedded)), "utf-8")
            time.sleep(600)  # the test kills us here
        return super().embed_documents(texts)


if __name__ == "__main__":
    marker, block_at = Path(sys.argv[1]), int(sys.argv[2])
    build_index(Settings(), BlockingEmbeddings(marker, block_at), force=True)
    marker.write_text("finished", "utf-8")
