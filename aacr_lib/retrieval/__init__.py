"""Language-based audio retrieval: experiments, text encoders, training glue, search index."""
