"""Take a trained model out of neuralab: ONNX files checked by onnxruntime (:mod:`neuralab.export.onnx`)."""

from neuralab.export.onnx import ExportError, export_run

__all__ = ["ExportError", "export_run"]
