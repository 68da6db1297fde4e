"""Neural network models of the book, one sub-package per task.

- `aacr_lib.models.captioning`: the DCASE 2022 BART captioning baseline and the report's variants
  (audio adapter → BART encoder or CRNN → BART decoder), all configured by one dataclass.
- `aacr_lib.models.retrieval`: the DCASE 2022 retrieval baseline's CRNN audio encoder, the
  audio-text model, scores and losses.
- `aacr_lib.models.crnn`: the CRNN convolution stack (`ConvStack`) both tasks' CRNNs use.
"""
