"""GGUF models (default, fast or a .gguf file) run by llama.cpp through xllamacpp, in this process."""

from __future__ import annotations

import math
import queue
import secrets
import threading
from pathlib import Path

from rag.answering.models.contract import AnsweringModel, Messages, ReplyStream, StopCheck, marker_grammar
from rag.answering.models.instruction_states import InstructionStates
from rag.answering.models.model_file import (
    DEFAULT_GGUF,
    DEFAULT_GGUF_SHA256,
    DEFAULT_GGUF_SIZE,
    check_model_file,
    fast_model_path,
    gguf_file,
    missing_model,
)
from rag.config import Settings
from rag.errors import ModelNotFoundError, RagError
from rag.model import Usage

_FLASH_ATTENTION = {"auto": -1, "off": 0, "on": 1}


class LlamaCppGenerator:
    """A GGUF model run by llama.cpp through xllamacpp; loaded once, kept warm.

    flash_attention is "auto", "on" or "off"; batch is llama.cpp's physical batch (tokens read at once);
    reading_threads read the prompt (default: threads, which write the reply)."""

    def __init__(
        self,
        path: Path,
        threads: int = 2,
        context_tokens: int = 2048,
        flash_attention: str = "auto",
        batch: int = 512,
        reading_threads: int | None = None,
        prompt_cache: str = "instructions",
    ) -> None:
        import xllamacpp

        if flash_attention not in _FLASH_ATTENTION:
            raise RagError(f"flash attention {flash_attention!r}: use one of {', '.join(_FLASH_ATTENTION)}")
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = context_tokens
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = reading_threads or threads
        params.flash_attn_type = _FLASH_ATTENTION[flash_attention]
        params.n_ubatch = batch
        params.n_batch = max(batch, params.n_batch)
        params.verbosity = -1
        key = secrets.token_hex(16)
        params.api_keys = [key]  # the server also listens on a loopback port: other programs are kept out
        if prompt_cache != "on":
            params.cache_ram_mib = 0  # no states of earlier prompts kept to be loaded for a later one
        folder = InstructionStates.folder() if prompt_cache == "instructions" else None
        if folder:
            params.endpoint_slots = True
            params.slot_save_path = str(folder)
        self.name = path.name
        self._prompt_cache = prompt_cache  # see Settings.prompt_cache
        self._server = xllamacpp.Server(params)
        self._states = InstructionStates(self._server, key, folder) if folder else None
        self._lock = threading.Lock()

    def _read_from(self, messages: Messages, reuse_last: bool = False) -> bool:
        """Prepare the slot for messages (holding the lock); True when llama.cpp may reuse what the slot holds:
        the instructions' restored state ("instructions"), the last prompt (reuse_last, or "on")."""
        if reuse_last or self._prompt_cache == "on":
            return True
        if self._states is None:
            return False
        self._states.restore(messages)
        return True

    def stream(
        self, messages: Messages, max_tokens: int, should_stop: StopCheck = lambda: False, markers: int = 0
    ) -> ReplyStream:
        pieces: queue.Queue[object] = queue.Queue()
        done = object()
        request: dict[str, object] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        usage: list[Usage] = []
        if markers:  # greedy decoding keeps every token the grammar allows, so only a stray number changes
            request["grammar"] = marker_grammar(markers)

        def on_chunk(chunk: dict) -> bool:
            if "error" in chunk:
                pieces.put(RagError(f"the answering model failed: {chunk['error']}"))
                return True
            if chunk.get("timings"):
                usage.append(_usage(chunk))
            for choice in chunk.get("choices", []):
                text = (choice.get("delta") or {}).get("content")
                if text:
                    pieces.put(text)
            return should_stop()

        def run() -> None:
            try:
                with self._lock:
                    request["cache_prompt"] = self._read_from(messages)
                    self._server.handle_chat_completions(request, on_chunk)
            except Exception as exc:  # surfaced to the caller below
                pieces.put(RagError(f"the answering model failed: {exc}"))
            finally:
                pieces.put(done)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        while (item := pieces.get()) is not done:
            if isinstance(item, Exception):
                raise item
            yield item  # type: ignore[misc]
        worker.join()
        return usage[-1] if usage else None

    def next_token(self, messages: Messages, top: int = 20, reuse_prefix: bool = False) -> dict[str, float]:
        """The probabilities of the reply's `top` likeliest first tokens, keyed by the token without spaces
        (" Yes" and "Yes" add up). reuse_prefix: read only what follows the part of the prompt the last call
        shared (llama.cpp's prompt cache), for a run of calls that differ in their end."""
        request: dict[str, object] = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": top,
        }
        with self._lock:
            request["cache_prompt"] = self._read_from(messages, reuse_last=reuse_prefix)
            reply = self._server.handle_chat_completions(request)
        if "error" in reply:
            raise RagError(f"the answering model failed: {reply['error']}")
        odds: dict[str, float] = {}
        for entry in reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]:
            token = entry["token"].strip()
            odds[token] = odds.get(token, 0.0) + math.exp(entry["logprob"])
        return odds


def _usage(chunk: dict) -> Usage:
    """The Usage in llama.cpp's last stream chunk ("timings": prompt_n tokens read, cache_n reused)."""
    timings = chunk["timings"]
    return Usage(
        prompt_tokens=int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0)),
        cached_tokens=int(timings.get("cache_n", 0)),
        generated_tokens=int(timings.get("predicted_n", 0)),
        prompt_s=float(timings.get("prompt_ms", 0)) / 1000,
        decode_s=float(timings.get("predicted_ms", 0)) / 1000,
    )


class LlamaCpp:
    """The generators' backend for a GGUF file: default (joined from its packages), fast or a .gguf path."""

    @staticmethod
    def load(settings: Settings) -> AnsweringModel:
        path = gguf_file(settings)
        if path is None:
            raise ModelNotFoundError(f"{settings.generator!r} names no GGUF file (default, fast or a .gguf path)")
        return LlamaCppGenerator(path, settings.threads, settings.context_tokens, prompt_cache=settings.prompt_cache)

    @staticmethod
    def check(settings: Settings) -> str | None:
        """What is wrong with the GGUF file, or None; the default model's file is read whole (its sha256)."""
        choice = settings.generator
        if choice.lower() == "default":
            return check_model_file(
                settings.cache_dir / "models" / DEFAULT_GGUF, DEFAULT_GGUF_SIZE, DEFAULT_GGUF_SHA256
            )
        try:
            path = fast_model_path() if choice.lower() == "fast" else Path(choice).expanduser()
        except RagError as exc:
            return str(exc)
        return missing_model(path)
