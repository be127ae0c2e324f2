"""Domain errors. Each message says what went wrong and how to fix it."""


class RagError(Exception):
    """Base class for every error the library raises on purpose."""


class IndexNotFoundError(RagError):
    """No index exists at the given folder."""


class IndexFormatError(RagError):
    """An index file is missing, corrupt or from an incompatible version."""


class IndexLockedError(RagError):
    """Another build holds the index lock."""


class NoArticlesError(RagError):
    """The articles folder holds no readable article and there is no index yet."""


class ArticleError(RagError):
    """An article file could not be read."""


class FetchError(RagError):
    """A web page or feed could not be fetched or read."""


class QuestionError(RagError):
    """The question is empty or too long."""


class ModelNotFoundError(RagError):
    """A model package or folder is missing."""


class ArticleNotFoundError(RagError):
    """No article of that id is in the index."""


class IndexUnavailableError(RagError):
    """The index's engine (a Milvus server or file) cannot be reached or refused an operation."""


class EmbedderMismatchError(RagError):
    """The embedder at hand gives other vectors than the one an index was built with."""
