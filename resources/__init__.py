"""Data files of convviz (CUDA sources, presets, images); found by convviz.resources_path."""
