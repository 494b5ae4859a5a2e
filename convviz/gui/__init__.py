"""PyQt6 widgets and pyqtgraph panels over a convviz.session.Session."""
