"""kinabot: cited answers about Kronoberg and Suzhou in Swedish, Chinese and English."""

__version__ = "0.1.0"
