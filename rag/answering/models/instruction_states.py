"""The state of a prompt's instructions, read once and restored before every prompt that starts with them
(llama.cpp's slot save and restore, on the in-process server's loopback address, behind a key of its own).
Each prompt is then read from the same state whatever was asked before it, and only what follows its
instructions is read."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from typing import Any

from rag.answering.models.contract import Messages
from rag.errors import RagError

MAX_STATES = 32  # distinct instructions kept (the pipeline has fewer than ten)


class InstructionStates:
    """Saved states of the instructions (system messages) a llama.cpp server has read, one file each in folder
    (the server's slot_save_path, removed with this object)."""

    def __init__(self, server: Any, key: str, folder: Path) -> None:
        self._server = server
        self._key = key
        self._folder = folder
        self._saved: set[str] = set()
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy
        weakref.finalize(self, shutil.rmtree, folder, True)

    @staticmethod
    def folder() -> Path:
        return Path(tempfile.mkdtemp(prefix="rag-instructions-"))

    def restore(self, messages: Messages) -> None:
        """Put the state of the messages' instructions in the model's slot: read from nothing and saved the
        first time they are seen, restored from their file after."""
        system = [m for m in messages[:1] if m.get("role") == "system"]
        name = hashlib.sha256(json.dumps(system).encode()).hexdigest()[:24] + ".bin"
        if name not in self._saved:
            if len(self._saved) >= MAX_STATES:
                for old in self._saved:
                    (self._folder / old).unlink(missing_ok=True)
                self._saved.clear()
            reply = self._server.handle_chat_completions(
                {"messages": [*system, {"role": "user", "content": ""}], "max_tokens": 1, "temperature": 0,
                 "cache_prompt": False}
            )  # fmt: skip
            if "error" in reply:
                raise RagError(f"the answering model failed to read its instructions: {reply['error']}")
            self._slot("save", name)
            self._saved.add(name)
        self._slot("restore", name)

    def _slot(self, action: str, name: str) -> None:
        request = urllib.request.Request(
            f"{self._server.listening_address}/slots/0?action={action}",
            data=json.dumps({"filename": name}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"},
            method="POST",
        )
        try:
            with self._opener.open(request, timeout=60) as reply:
                reply.read()
        except (urllib.error.URLError, OSError) as exc:
            raise RagError(
                f"the answering model could not {action} the state of its instructions ({exc}); "
                "set RAG_PROMPT_CACHE=off to read every prompt whole"
            ) from None
