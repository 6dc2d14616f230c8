"""Playgrounds: small networks trained live on 2-D points (the compute behind ``neuralab lab``).

Three kinds share one interface: ``"network"`` (TensorFlow Playground parity, then beyond),
``"gan"`` (GAN Lab parity) and ``"diffusion"`` (a small DDPM on the same 2-D sets). This
package computes only; the web face (``neuralab/lab/``) calls it and shows what it returns.

Interface::

    class PlaygroundError(ValueError)   # a bad setting / upload; the message names what was
                                        # expected and what came
    create(kind, settings, *, engine="scratch", seed=0) -> Playground
                                        # kind in {"network", "gan", "diffusion"}; settings may be
                                        # partial (missing keys take defaults(kind)); unknown key
                                        # or bad value -> PlaygroundError
    parse_tf_hash(hash) -> dict         # "#activation=tanh&batchSize=10&dataset=spiral&..." (with
                                        # or without "#") -> our settings dict (TF keys keep TF's
                                        # meaning; our own keys are accepted too)
    to_hash(settings) -> str            # settings -> "#key=value&..." (TF keys where TF has them)
    defaults(kind) -> dict              # every setting of that kind with its default
    LIMITS                              # dict: max layers, neurons per layer, points, upload bytes
                                        # (exceeding one -> PlaygroundError)
    read_csv_upload(data: bytes) -> dict
                                        # CSV with two feature columns and a label/target column
                                        # (optional header) -> {"points": [[x1, x2, y], ...],
                                        # "problem": "classification"|"regression", "classes": k};
                                        # pass it as settings["points"] with settings["dataset"] =
                                        # "upload". Bad size/shape/number -> PlaygroundError naming
                                        # the line.

    class Playground:
        kind: str; settings: dict (normalized, JSON-ready); step_count: int
        update(changes: dict) -> None   # live keys (learningRate, regularizationRate, batchSize,
                                        # ...) apply without reset; structural keys (networkShape,
                                        # features, dataset, noise, seed, ...) rebuild (= reset)
        step(n=1, *, part=None) -> None # n optimizer steps; GAN: part "d" or "g" steps only that net
        reset() -> None                 # new weights from the seed, step 0, same data
        set_weight(layer, i, j, value)  # network only: weight of the link from neuron i of layer
                                        # `layer` (0 = input features) to neuron j of layer+1
        points() -> dict                # {"train": [[x1, x2, label], ...], "test": [...],
                                        #  "classes": k, "problem": ...}   (send on reset/rebuild)
        frame() -> dict                 # JSON-ready view state, cheap (>= 20 frames/s); below
        export() -> dict[str, bytes]    # network: {"model.safetensors", "model.json", "model.py"}

Settings of the "network" kind (TF Playground keys keep TF's meaning; TF defaults):
    dataset: circle | xor | gauss | spiral | reg-plane | reg-gauss | moons | rings | spirals |
             blobs | drawn | upload           (the last two use settings["points"])
    problem: classification | regression      noise: 0..50 (TF's percent scale)
    percTrainData: 10..90 (percent)           batchSize: 1..  (TF default 10)
    numPoints (ours, default 500)             classes (ours, for spirals/blobs/rings, default 3)
    seed (TF: a string; ours: any string/int, it seeds the data)  -- create(seed=) seeds weights
    x, y, xSquared, ySquared, xTimesY, sinX, sinY, cosX, cosY: bool (input features)
    networkShape: list of hidden widths (TF hash "4,2")
    activation: relu | tanh | sigmoid | linear | leaky_relu | gelu   (every hidden layer)
    activations (ours): list per hidden layer, overrides activation
    outputActivation (ours, default tanh as TF for 2 classes/regression; softmax for k>2)
    learningRate (TF 0.03)  regularization: none | L1 | L2   regularizationRate (TF 0)
    loss (ours): mse | cross_entropy   optimizer (ours): sgd | momentum | adam   momentum (0.9)
    dropout (ours, 0..0.9)  batchNorm (ours, bool)  residual (ours, bool)
    showTestData, discretize: bool (views only; kept in settings and hash)

frame() of the "network" kind:
    {"kind", "step", "epoch", "train_loss", "test_loss",
     "history": {"step": [...], "train_loss": [...], "test_loss": [...]}   (capped length),
     "output": base64 uint8 (100x100, row 0 = top, ymax), "output_shape": [100, 100],
     "output_range": [lo, hi]  (value = lo + byte/255*(hi-lo)),
     "classes_map": base64 uint8 class index per cell (multi-class only, else absent),
     "extent": [xmin, xmax, ymin, ymax],
     "neurons": [[base64 uint8 25x25, ...] per layer, inputs first, output last],
     "neuron_shape": [25, 25],
     "weights": [layer][i][j] nested lists, "biases": [layer][j] nested lists}
frame() of the "gan" kind:
    {"kind", "step", "d_steps", "g_steps", "real": [[x,y],...], "fake": [[x,y],...],
     "d_score": base64 uint8 heatmap of D (sigmoid for GAN losses, scaled critic for WGAN),
     "d_score_shape", "extent", "arrows": [[dx,dy],...] (generator gradient direction per
     fake point, scaled), "d_loss", "g_loss", "d_real", "d_fake",
     "history": {"step", "d_loss", "g_loss", "d_real", "d_fake"},
     "coverage": {"modes", "covered", "mean_radius", "radius_std", ...}}
frame() of the "diffusion" kind:
    {"kind", "step", "train_loss", "history": {"step", "train_loss"},
     "t": int, "noised": [[x,y],...] (q(x_t|x_0) of the data at t),
     "trajectory": [[[x,y],...] per shown step] (reverse sampling, sampler/steps from settings),
     "samples": [[x,y],...] (last trajectory frame), "coverage": {...}}
"""
from neuralab.playground.errors import PlaygroundError

__all__ = ["PlaygroundError"]
