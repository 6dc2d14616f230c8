"""Training: the Trainer, its callbacks, metrics, checkpoints and run records.

>>> from neuralab.train import Trainer, EarlyStopping
>>> trainer = Trainer(model, optimizer, T.nn.functional.cross_entropy, engine=T,
...                   schedule={"name": "cosine"}, callbacks=[EarlyStopping(patience=3)])
>>> history = trainer.fit(train=(x, y), val=(x_val, y_val), epochs=10, batch_size=128)
"""

from neuralab.train import metrics
from neuralab.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from neuralab.train.checkpoint import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from neuralab.train.history import History
from neuralab.train.runs import RunRecord
from neuralab.train.schedules import SCHEDULE_NAMES, build_schedule, resolve_schedule
from neuralab.train.trainer import Trainer, TrainingDiverged, epoch_permutation

__all__ = [
    "Callback",
    "CheckpointError",
    "EarlyStopping",
    "History",
    "ModelCheckpoint",
    "RunRecord",
    "SCHEDULE_NAMES",
    "Trainer",
    "TrainingDiverged",
    "build_schedule",
    "epoch_permutation",
    "load_checkpoint",
    "load_weights",
    "metrics",
    "resolve_schedule",
    "save_checkpoint",
]
