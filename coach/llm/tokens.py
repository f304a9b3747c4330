"""Token counting before a request is sent.

For the embedded model we run its real tokenizer (the GGUF's vocabulary only,
no weights in memory), so context budgeting and the benchmark's prompt-vs-
transcript comparison use exact counts. Other endpoints get the generous
estimate in `protocol.estimate_tokens`: their tokenizers are not ours to load.
"""

from __future__ import annotations

import atexit
import os
import threading
from functools import cache
from typing import Protocol


class Tokenizer(Protocol):
    def count(self, text: str) -> int: ...


class GGUFTokenizer:
    def __init__(self, path: str):
        self._path = path
        self._vocab = None
        self._lock = threading.Lock()

    def _load(self):  # type: ignore[no-untyped-def]
        import llama_cpp

        # llama.cpp prints context warnings on the C side even with verbose=False;
        # silence the process's stderr while the vocabulary loads.
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 2)
                vocab = llama_cpp.Llama(model_path=self._path, vocab_only=True, verbose=False)
            # Freed explicitly: left to interpreter teardown, llama.cpp's finaliser runs after
            # its C bindings are gone and prints a TypeError on exit.
            atexit.register(vocab.close)
            return vocab
        finally:
            os.dup2(saved, 2)
            os.close(saved)

    def count(self, text: str) -> int:
        with self._lock:
            if self._vocab is None:
                self._vocab = self._load()
            return len(self._vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))


@cache
def embedded_tokenizer() -> GGUFTokenizer:
    from coach.llm.embedded import verified_gguf

    return GGUFTokenizer(str(verified_gguf()))
