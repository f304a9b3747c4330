"""One cassette convention for every LLM test.

Cassettes are recorded against the real embedded server
(`COACH_RECORD_CASSETTES=1`) and replayed offline with `record_mode="none"`.
Recording starts each cassette empty (the old file is never loaded), so a
re-recorded cassette holds exactly this run's requests, not old ones beside them.
Requests match on their body, so a changed prompt fails loudly instead of
replaying an old answer; credentials never reach a cassette.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import vcr
from vcr.persisters.filesystem import CassetteNotFoundError, FilesystemPersister

from coach.llm.embedded import EmbeddedServer

RECORD = os.environ.get("COACH_RECORD_CASSETTES") == "1"
REPLAY_ONLY_URL = "http://127.0.0.1:9/v1"  # never contacted while replaying


class _Rerecording(FilesystemPersister):
    """Loads nothing: the cassette being recorded replaces the old file instead of growing it."""

    @classmethod
    def load_cassette(cls, cassette_path, serializer):  # type: ignore[no-untyped-def]
        raise CassetteNotFoundError()


def recorder(library: Path) -> vcr.VCR:
    made = vcr.VCR(
        cassette_library_dir=str(library),
        record_mode="all" if RECORD else "none",
        match_on=["method", "path", "body"],
        filter_headers=["authorization", "cookie", "set-cookie"],
        decode_compressed_response=True,
    )
    if RECORD:
        made.register_persister(_Rerecording)
    return made


def embedded_base_url() -> Iterator[str]:
    """Fixture body: the real embedded server while recording, an unused address while replaying."""
    if not RECORD:
        yield REPLAY_ONLY_URL
        return
    with EmbeddedServer() as server:
        yield server.base_url
