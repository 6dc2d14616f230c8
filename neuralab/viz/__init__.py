"""Figures for learners: learning curves, confusion matrices, worst mistakes.

Every function takes data plus an output path and writes a PNG atomically (Agg backend).
"""

from neuralab.viz.confusion import plot_confusion_matrix
from neuralab.viz.curves import plot_history
from neuralab.viz.misclassified import plot_misclassified, worst_misclassified

__all__ = ["plot_confusion_matrix", "plot_history", "plot_misclassified", "worst_misclassified"]
