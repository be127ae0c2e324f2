"""A local Hugging Face causal LM folder with a chat template, run by transformers on the CPU."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from rag.answering.models.contract import AnsweringModel, Messages, ReplyStream, StopCheck
from rag.answering.models.model_file import missing_model
from rag.config import Settings
from rag.errors import ModelNotFoundError, RagError


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


class TransformersFolder:
    """The generators' backend for a Hugging Face model folder."""

    @staticmethod
    def load(settings: Settings) -> AnsweringModel:
        return TransformersGenerator(Path(settings.generator).expanduser(), settings.threads)

    @staticmethod
    def check(settings: Settings) -> str | None:
        return missing_model(Path(settings.generator).expanduser())
