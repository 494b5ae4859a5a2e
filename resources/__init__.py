"""Data files of convviz (CUDA sources); found by convviz.core.resources."""
