"""``scratch.backends``: capability flags mirroring ``torch.backends`` (all absent)."""

from __future__ import annotations

from types import SimpleNamespace

mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = SimpleNamespace(enabled=False, deterministic=True, benchmark=False, is_available=lambda: False)
cuda = SimpleNamespace(is_built=lambda: False, matmul=SimpleNamespace(allow_tf32=False))
mkldnn = SimpleNamespace(is_available=lambda: False, enabled=False)
