"""Figures for learners: learning curves, confusion matrices, worst mistakes, decision boundaries.

Every function takes data plus an output path and writes a PNG atomically (Agg backend).
"""

from neuralab.viz.confusion import plot_confusion_matrix
from neuralab.viz.curves import plot_history
from neuralab.viz.decision_boundary import plot_decision_boundary
from neuralab.viz.misclassified import plot_misclassified, plot_misclassified_table, worst_misclassified

__all__ = ["plot_confusion_matrix", "plot_decision_boundary", "plot_history", "plot_misclassified",
           "plot_misclassified_table", "worst_misclassified"]
