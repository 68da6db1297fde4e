"""Sound-event networks.

- `aacr_lib.models.events.cnn14`: PANNs' Cnn14_DecisionLevelMax (Kong et al. 2020), the
  AudioSet tagger whose 0.32 s segment-wise probabilities the event features are built from,
  with the module tree of the published checkpoint (`load_cnn14_decision_level_max`).
"""
