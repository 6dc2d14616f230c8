"""``scratch.optim``: SGD, Adam, AdamW, RMSprop, Adagrad and ``lr_scheduler``."""

from ..errors import not_in_subset
from . import lr_scheduler  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adam import Adam  # noqa: F401
from .adamw import AdamW  # noqa: F401
from .optimizer import Optimizer  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .sgd import SGD  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.optim.{name}")
