"""Audio features: log-mel (retrieval baseline), VGGish (captioning baseline), demo stand-ins."""
