"""`rag bench answer` and `rag bench runtime`: how fast the answering model answers on this machine.

answer  warm answer latency (time to sources, first token, total) with the answering model over the seed
        articles (indexed into a temporary folder), prompt tokens and decode speed as the model counts them,
        peak memory.
runtime llama.cpp's prompt-reading and decode speed with flash attention on / off and other batch sizes, on
        prompts of news text as long as the answers' (a fixed instructions prefix, as in use)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rag.config import Settings
from rag.errors import RagError
from rag.evaluate.report import markdown_table
from rag.evaluate.set_index import REPO, default_articles
from rag.evaluate.speed import Log, latency, median, peak_memory_mb, prompt_reading, rounded

if TYPE_CHECKING:
    from rag.model import Answer

# (flash attention, physical batch, threads reading the prompt, threads writing the reply); the first is the default
RUNTIME_VARIANTS = (
    ("auto", 512, 2, 2),
    ("off", 512, 2, 2),
    ("on", 512, 2, 2),
    ("auto", 128, 2, 2),
    ("auto", 2048, 2, 2),
    ("auto", 512, 1, 2),
    ("auto", 512, 2, 1),
)
RUNTIME_PROMPT_WORDS = 450  # about 600 tokens with the instructions, as an answer's prompt
# Questions about the seed article (seeds/), for the answer benchmark; the last one is not answered there.
ANSWER_QUESTIONS = [
    "Is a meeting between Trump and Putin planned?",  # warm-up
    "What conditions did Russia set for a summit with the United States?",
    "Which meeting between Rubio and Lavrov was postponed, and why?",
    "Where did Trump say the two leaders would meet?",
    "What did the European Central Bank decide about interest rates?",
]


@dataclass(frozen=True)
class AnswerSpeed:
    """Warm answers to ANSWER_QUESTIONS over the seed articles: sources, first token and total time."""

    model: str | None
    seeds: Path | None
    quick: bool
    log: Log = print
    name: ClassVar[str] = "answer"

    def __call__(self) -> dict[str, object]:
        seeds = self.seeds or REPO / "seeds"
        if not seeds.is_dir():
            raise RagError(f"articles folder {seeds} does not exist; pass --seeds DIR")
        folder = Path(tempfile.mkdtemp(prefix="rag-bench-answer-"))
        try:
            return self.measure(seeds, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def measure(self, seeds: Path, folder: Path) -> dict[str, object]:
        """The answers, with the seeds indexed into folder."""
        from rag.answering.qa import QA
        from rag.index.indexing import build_index

        settings = dataclasses.replace(
            Settings.from_env(generator=self.model), seeds_dir=seeds, index_dir=folder / "index"
        )
        build = build_index(settings, log=lambda _: None, progress=False)
        qa = QA(settings)
        t0 = time.perf_counter()
        _ = qa.embedder
        embedder_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        generator = qa.generator
        load_s = time.perf_counter() - t0
        self.log(
            f"answer benchmark: model {generator.name} loaded in {load_s:.1f} s; {build.articles} articles, "
            f"{build.chunks} chunks from {seeds}"
        )
        warm_up, *questions = ANSWER_QUESTIONS[:3] if self.quick else ANSWER_QUESTIONS
        t0 = time.perf_counter()
        qa.answer(warm_up)
        warm_up_s = time.perf_counter() - t0
        rows: list[dict[str, Any]] = []
        for question in questions:
            rows.append(answer_row(question, qa.answer(question)))
            self.log(f"  {rows[-1]['total_s']:.1f} s: {question}")

        def stat(key: str) -> dict[str, float | int | None]:
            return latency([r[key] for r in rows if r[key] is not None])

        return {
            "model": settings.generator,
            "model_file": generator.name,
            "seeds": str(seeds),
            "articles": build.articles,
            "chunks": build.chunks,
            "threads": settings.threads,
            "top_k": settings.top_k,
            "max_new_tokens": settings.max_new_tokens,
            "prompt_budget_tokens": settings.prompt_tokens,
            "embedder_load_s": round(embedder_s, 3),
            "model_load_s": round(load_s, 3),
            "warm_up_s": round(warm_up_s, 3),
            "sources": stat("sources_s"),
            "first_token": stat("first_token_s"),
            "total": stat("total_s"),
            "prompt_tokens": median([r["prompt_tokens"] for r in rows]),
            "cached_tokens": median([r["cached_tokens"] for r in rows]),
            **prompt_reading(rows),
            "decode_tokens_per_s": median([r["decode_tokens_per_s"] for r in rows]),
            "second_reading": stat("reread_s"),
            "questions": rows,
            "peak_memory_mb": peak_memory_mb(),
        }

    @staticmethod
    def table(r: dict) -> str:
        reread = r.get("second_reading") or {}
        return (
            f"Answers, warm ({r['model_file']}, {len(r['questions'])} questions, {r['threads']} threads; "
            f"prompt {r['prompt_tokens']} tokens, {r.get('cached_tokens')} of them restored, not read; medians)\n\n"
            + markdown_table(
                ["", "sources s", "first token s", "total s", "second reading s"],
                [
                    [
                        "median",
                        _s(r["sources"]["median_ms"]),
                        _s(r["first_token"]["median_ms"]),
                        _s(r["total"]["median_ms"]),
                        _s(reread.get("median_ms")),
                    ],
                    [
                        "p95",
                        _s(r["sources"]["p95_ms"]),
                        _s(r["first_token"]["p95_ms"]),
                        _s(r["total"]["p95_ms"]),
                        _s(reread.get("p95_ms")),
                    ],
                ],
            )
            + f"\n\nprompt read at {r.get('prompt_tokens_per_s')} tokens/s, reply written at "
            f"{r['decode_tokens_per_s']} tokens/s; floor (tokens read / reading speed) {r.get('floor_s')} s"
            + f"\nmodel load {r['model_load_s']} s, peak memory {r['peak_memory_mb']} MB"
        )


def answer_row(question: str, answer: Answer) -> dict[str, Any]:
    """One answer's times, prompt and decode speed, as bench.json lists it."""
    return {
        "question": question,
        "sources_s": round(answer.timings.retrieve_s, 4),
        "first_token_s": rounded(answer.timings.first_token_s),
        "total_s": round(answer.timings.total_s, 3),
        "abstained": answer.abstained,
        "citations": len(answer.citations),
        "answer_chars": len(answer.text),
        "prompt_tokens": answer.timings.prompt_tokens,
        "cached_tokens": answer.timings.cached_tokens,
        "prompt_read_s": answer.timings.prompt_read_s,
        "attempts": answer.timings.attempts,
        "decode_tokens_per_s": answer.timings.decode_tokens_per_s,
        "reread_s": answer.timings.reread_s,
        "answer": answer.text,
    }


def _s(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


@dataclass(frozen=True)
class RuntimeSpeed:
    """Prompt-reading and decode tokens/s of each RUNTIME_VARIANTS entry, medians over distinct prompts."""

    model: str | None
    articles_file: Path | None
    quick: bool
    log: Log = print
    name: ClassVar[str] = "runtime"

    def __call__(self) -> dict[str, object]:
        from rag.answering.models import LlamaCppGenerator, gguf_file, read_all
        from rag.answering.prompting import instructions

        settings = Settings.from_env(generator=self.model)
        path = gguf_file(settings)
        if path is None:
            raise RagError(
                "the runtime benchmark measures llama.cpp: pick a GGUF model (default, fast or a .gguf file)"
            )
        words = " ".join(
            json.loads(line).get("text", "")
            for line in (self.articles_file or default_articles()).read_text(encoding="utf-8").splitlines()[:60]
        ).split()
        repeats = 2 if self.quick else 5

        def messages(number: int) -> list[dict[str, str]]:  # a new text each time: nothing of it is cached
            start = number * RUNTIME_PROMPT_WORDS
            text = " ".join(words[start : start + RUNTIME_PROMPT_WORDS])
            return [
                {"role": "system", "content": instructions(5)},
                {"role": "user", "content": f"[1] A news article\n{text}\n\nQuestion: What happened?"},
            ]

        rows, prompt = [], 0
        for flash_attention, batch, reading, writing in RUNTIME_VARIANTS[:2] if self.quick else RUNTIME_VARIANTS:
            generator = LlamaCppGenerator(
                path,
                min(writing, settings.threads),
                settings.context_tokens,
                flash_attention,
                batch,
                min(reading, settings.threads),
            )
            list(generator.stream(messages(prompt), 4))  # warm-up; caches the instructions
            prompt += 1
            read_speeds, decoding, tokens = [], [], []
            for _ in range(repeats):
                _, usage = read_all(generator.stream(messages(prompt), 32))
                prompt += 1
                if usage is None:
                    raise RagError("the model runtime reported no timings")
                read_speeds.append((usage.prompt_tokens - usage.cached_tokens) / usage.prompt_s)
                decoding.append(usage.decode_tokens_per_s)
                tokens.append(usage.prompt_tokens)
            rows.append(
                {
                    "flash_attention": flash_attention,
                    "batch": batch,
                    "reading_threads": reading,
                    "writing_threads": writing,
                    "prompt_tokens": median(tokens, 1),
                    "prompt_tokens_per_s": median(read_speeds, 1),
                    "decode_tokens_per_s": median(decoding, 1),
                }
            )
            self.log(
                f"  flash attention {flash_attention}, batch {batch}, threads {reading} reading / {writing} "
                f"writing: reads {rows[-1]['prompt_tokens_per_s']} tokens/s, writes "
                f"{rows[-1]['decode_tokens_per_s']} tokens/s"
            )
            del generator
        return {"model_file": path.name, "threads": settings.threads, "repeats": repeats, "variants": rows}

    @staticmethod
    def table(r: dict) -> str:
        return (
            f"llama.cpp runtime ({r['model_file']}, at most {r['threads']} threads, medians of "
            f"{r['repeats']} prompts)\n\n"
            + markdown_table(
                [
                    "flash attention",
                    "batch",
                    "threads reading / writing",
                    "prompt tokens",
                    "prompt tokens/s (read)",
                    "decode tokens/s",
                ],
                [
                    [
                        v["flash_attention"],
                        v["batch"],
                        f"{v['reading_threads']} / {v['writing_threads']}",
                        v["prompt_tokens"],
                        v["prompt_tokens_per_s"],
                        v["decode_tokens_per_s"],
                    ]
                    for v in r["variants"]
                ],
            )
        )
