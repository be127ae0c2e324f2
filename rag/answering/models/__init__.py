"""The answering models, one module per backend, found by the scheme of the generator setting in one registry
(GENERATORS): llama.cpp for GGUF files (llamacpp.py, the files in model_file.py), transformers for Hugging Face
folders (transformers_folder.py) and any OpenAI-compatible server (openai_server.py, "openai:URL")."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from rag.answering.models.contract import AnsweringModel, Messages, ReplyStream, StopCheck, marker_grammar, read_all
from rag.answering.models.llamacpp import LlamaCpp, LlamaCppGenerator
from rag.answering.models.model_file import fast_model_path, gguf_file, names_gguf
from rag.answering.models.openai_server import OpenAICompatibleGenerator, OpenAIServer
from rag.answering.models.transformers_folder import TransformersFolder, TransformersGenerator
from rag.config import Settings
from rag.errors import ModelNotFoundError
from rag.locations import PATH, Registry

__all__ = [
    "GENERATORS",
    "AnsweringModel",
    "GeneratorKind",
    "LlamaCppGenerator",
    "Messages",
    "OpenAICompatibleGenerator",
    "ReplyStream",
    "StopCheck",
    "TransformersGenerator",
    "fast_model_path",
    "gguf_file",
    "load_generator",
    "marker_grammar",
    "read_all",
]


class GeneratorKind(Protocol):
    """A backend of the generators registry: the model the settings name, and what is wrong with it (None:
    nothing that can be seen before it loads), for `rag doctor`."""

    def load(self, settings: Settings) -> AnsweringModel: ...
    def check(self, settings: Settings) -> str | None: ...


class LocalModel:
    """A path location: default, fast or a .gguf file (llama.cpp), or a Hugging Face model folder (transformers)."""

    @staticmethod
    def load(settings: Settings) -> AnsweringModel:
        if names_gguf(settings.generator):
            return LlamaCpp.load(settings)
        if Path(settings.generator).expanduser().is_dir():
            return TransformersFolder.load(settings)
        raise ModelNotFoundError(f"unknown answering model {settings.generator!r}: {GENERATORS.fix}")

    @staticmethod
    def check(settings: Settings) -> str | None:
        kind = LlamaCpp if names_gguf(settings.generator) else TransformersFolder
        return kind.check(settings)


GENERATORS: Registry[GeneratorKind] = Registry(
    "an answering model",
    "use 'default', 'fast', a .gguf file, a local Hugging Face model folder or openai:URL (RAG_GENERATOR)",
    ModelNotFoundError,
)
GENERATORS.add(("openai",), OpenAIServer())
GENERATORS.add((PATH,), LocalModel())


def load_generator(settings: Settings) -> AnsweringModel:
    """The generator settings.generator names, found by its scheme in GENERATORS."""
    return GENERATORS.of(settings.generator).load(settings)
