"""Datasets: the Clotho v2.1 reader, checker and downloader, and the ClothoMix demo dataset."""
