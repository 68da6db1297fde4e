"""Neural network models of the book, one sub-package per task.

- `aacr_lib.models.captioning`: the DCASE 2022 BART captioning baseline and the report's variants
  (audio adapter → BART encoder or CRNN → BART decoder), all configured by one dataclass.
"""
