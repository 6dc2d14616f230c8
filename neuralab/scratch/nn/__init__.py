"""``scratch.nn``: Module, Parameter, layers, ``functional``, ``init`` and ``utils``."""

from ..errors import not_in_subset
from . import functional, init, utils  # noqa: F401
from .module import Module  # noqa: F401
from .modules import (  # noqa: F401
    ELU, GELU, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Dropout, Flatten, Hardtanh, HuberLoss,
    Identity, KLDivLoss, L1Loss, LeakyReLU, Linear, LogSigmoid, LogSoftmax, Mish, ModuleDict,
    ModuleList, MSELoss, NLLLoss, ParameterDict, ParameterList, ReLU, ReLU6, Sequential, Sigmoid,
    SiLU, SmoothL1Loss, Softmax, Softmin, Softplus, Softsign, Tanh, Unflatten,
)
from .modules import (  # noqa: F401
    GRU, LSTM, RNN, AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, BatchNorm1d, BatchNorm2d,
    BatchNorm3d, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Dropout1d, Dropout2d, Dropout3d, Embedding,
    GroupNorm, GRUCell, LayerNorm, LSTMCell, MaxPool1d, MaxPool2d, MultiheadAttention, RNNBase, RNNCell,
    RNNCellBase, Transformer, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder,
    TransformerEncoderLayer, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d,
)
from .modules import (  # noqa: F401
    CELU, GLU, PReLU, RReLU, SELU, CosineEmbeddingLoss, CosineSimilarity, GaussianNLLLoss, Hardshrink,
    Hardsigmoid, Hardswish, HingeEmbeddingLoss, MarginRankingLoss, MultiLabelSoftMarginLoss,
    MultiMarginLoss, PairwiseDistance, PoissonNLLLoss, Softshrink, Tanhshrink, Threshold, TripletMarginLoss,
)
from .modules import (  # noqa: F401
    EmbeddingBag, Fold, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, PixelShuffle, PixelUnshuffle, Unfold,
)
from .parameter import Parameter  # noqa: F401


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise not_in_subset(f"torch.nn.{name}")
