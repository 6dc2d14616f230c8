"""Playgrounds: small networks trained live on 2-D points (the compute behind ``neuralab lab``).

Three kinds share one interface: ``"network"`` (TensorFlow Playground parity, then beyond),
``"gan"`` (GAN Lab parity) and ``"diffusion"`` (a small DDPM on the same 2-D sets). This
package computes only; the web face (``neuralab/lab/``) calls it and shows what it returns.
Every value returned is JSON-ready (dicts, lists, floats, ints, str, None). A playground is
not thread-safe: call one from one thread at a time (the lab's worker, under a lock).

Interface::

    class PlaygroundError(ValueError)   # a bad setting / upload; the message names what was
                                        # expected and what came (show it as it is)
    create(kind, settings=None, *, engine="scratch", seed=0) -> Playground
                                        # kind in {"network", "gan", "diffusion"}; settings may be
                                        # partial (missing keys take defaults(kind)); unknown key
                                        # or bad value -> PlaygroundError. seed (int >= 0) seeds
                                        # the weights together with settings["seed"].
    parse_tf_hash(hash) -> dict         # "#activation=tanh&batchSize=10&dataset=spiral&..." (with
                                        # or without "#") -> network settings (only the keys in the
                                        # hash; TF keys keep TF's meaning; our keys accepted too;
                                        # TF's page-only keys collectStats/tutorial/hideText/*_hide
                                        # ignored)
    parse_hash(hash, kind) -> dict      # the same for any kind's own keys
    to_hash(settings, kind="network") -> str
                                        # "#key=value&..." (TF keys in TF's format; "points" left out)
    defaults(kind) -> dict              # every setting of that kind with its default
    KINDS[kind].SETTINGS                # name -> Setting(name, type, default, effect, low, high,
                                        # choices, nullable, about): what each key accepts; type in
                                        # bool, int, float, choice, str, widths, choice_list, points;
                                        # effect in live, data, rebuild, view
    LIMITS                              # dict: max_layers 10, max_neurons 32, max_points 5000,
                                        # max_upload_bytes 1e6, max_classes 10, max_batch_size 1000,
                                        # max_steps_per_call 100000, max_diffusion_steps 1000
    read_csv_upload(data: bytes) -> dict
                                        # CSV "x1,x2,label" (optional header line) ->
                                        # {"points": [[x1, x2, y], ...], "problem", "classes", "scale",
                                        #  "settings": the changes to pass to update()/create()}
                                        # bad size/shape/number -> PlaygroundError naming the line

    class Playground:
        kind: str; settings: dict (normalized, complete); step_count: int; engine: str; seed: int
        update(changes) -> {"reset": bool, "data": bool}
                                        # live keys (learningRate, regularization(Rate), batchSize,
                                        # optimizer, momentum, GAN lrs/dSteps, ...) apply at once;
                                        # data keys (noise, percTrainData, seed, numPoints, points)
                                        # draw the data again and keep the weights; structural keys
                                        # (networkShape, activation(s), features, dataset, problem,
                                        # loss, ...) rebuild (step 0). "data": True -> send points()
                                        # again. A bad change raises and leaves the playground as it was.
        step(n=1, *, part=None)         # n training steps (1 <= n <= max_steps_per_call);
                                        # network/diffusion: n optimizer updates; GAN: n rounds of
                                        # dSteps D updates + 1 G update, or part="d"/"g": n updates
                                        # of that network only
        reset()                         # new weights from the seeds, step 0, same data
        set_weight(layer, i, j, value)  # network only: the link from neuron i of layer `layer`
                                        # (0 = the input features) to neuron j of layer + 1
        set_bias(layer, j, value)       # network only: the bias of neuron j of layer + 1
        points() -> dict                # network: {"train": [[x1, x2, label], ...], "test": [...],
                                        #   "classes": k (0 for regression), "problem", "extent"}
                                        #   label = class index 0..k-1 (TF's -1 is 0, +1 is 1) or target
                                        # gan/diffusion: {"real": [[x, y], ...], "extent", "distribution"}
        frame() -> dict                 # JSON-ready view state, cheap (>= 20 frames/s); below
        export() -> dict[str, bytes]    # network: {"model.safetensors", "model.json", "model.py"};
                                        # model.py (= neuralab/playground/net.py) beside the other two:
                                        # `python model.py points.json` prints the outputs as JSON

Settings of "network" (TF Playground keys keep TF's meaning and defaults, see state.ts):
    dataset: circle | xor | gauss | spiral | moons | rings | spirals | blobs | drawn | upload
    regDataset: reg-plane | reg-gauss | drawn | upload     (TF: the set used when problem=regression)
    problem: classification | regression   noise: 0..50 (TF's percent)   percTrainData: 10..90
    batchSize (10)   seed: text (TF's is "0.55534"-like; it seeds the data; default "0")
    x, y, xSquared, ySquared, xTimesY, sinX, sinY, cosX, cosY: bool (features; x, y on)
    networkShape: hidden widths ([4, 2]; hash "4,2"; [] = no hidden layer)
    activation: tanh | relu | sigmoid | linear | leaky_relu | gelu (every hidden layer)
    learningRate (0.03)   regularization: none | L1 | L2   regularizationRate (0)
    showTestData, discretize: bool (discretize is applied to frame()["output"])   initZero: bool
  ours: numPoints (null: TF's 500 / 1200)  classes (3, for rings/spirals/blobs)  points (drawn/
    uploaded [[x1, x2, label], ...])  activations (null or one per hidden layer)  loss: mse |
    cross_entropy  optimizer: sgd | momentum | adam  momentum (0.9)  dropout (0)  batchNorm
    residual  init: tf (U(-0.5, 0.5), bias 0.1) | torch (the engine's default)
Settings of "gan": distribution: ring | gaussians | line | moons | drawn; noise (0.1); modes (8);
    points (drawn [[x, y], ...]); seed; noiseDim (2); gShape, dShape ([32, 32]); gActivation,
    dActivation (relu); loss: non_saturating | saturating | wgan_gp; gOptimizer, dOptimizer:
    adam | sgd | momentum; gLearningRate, dLearningRate (0.002); dSteps (1); batchSize (128);
    gpWeight (10); numShown (300)
Settings of "diffusion": distribution, noise, modes, points, seed (as gan); diffusionSteps (100);
    schedule: linear | cosine; hidden (64); depth (3); activation (silu); optimizer (adam);
    learningRate (0.003); ema (0.995: the weight average that samples; 0 = last weights);
    batchSize (256); sampler: ddim | ddpm; samplingSteps (25, DDIM);
    t (50, the forward step shown); numShown (300); trajectoryEvery (200 training steps);
    t must stay < diffusionSteps and samplingSteps <= diffusionSteps: change them together

frame() of "network":
    {"kind", "step", "epoch" (passes over the training set), "train_loss", "test_loss",
     "history": {"step": [...], "train_loss": [...], "test_loss": [...]}  (<= 400 entries, once
       per epoch, thinned as it grows),
     "output": base64 uint8 100x100 (row 0 = top = ymax, column 0 = xmin), "output_shape": [100, 100],
     "output_range": [lo, hi] (value = lo + byte / 255 * (hi - lo)): [-1, 1] for 2 classes (TF's
       colours; class 1 = +1) and regression, [0, 1] for k > 2 (the winning class's confidence),
     "classes_map": base64 uint8 class index per cell (only for k > 2 classes),
     "extent": [-6, 6, -6, 6], "features": the active feature keys in order,
     "neurons": [[base64 uint8 25x25, ...] per layer: input features, hidden layers, output],
     "neuron_ranges": the [lo, hi] of each of those heatmaps, "neuron_shape": [25, 25],
     "weights": [layer][i][j] (neuron i of layer -> neuron j of layer + 1; layer 0 = features),
     "biases": [layer][j] (of neuron j of layer + 1)}
frame() of "gan":
    {"kind", "step", "d_steps", "g_steps", "real": [[x, y], ...], "fake": [[x, y], ...] (G of fixed z),
     "d_score": base64 uint8 50x50 of D over the plane (row 0 = top), "d_score_range" ([0, 1] for
     sigmoid(D); the critic's min..max for wgan_gp), "d_score_shape": [50, 50], "extent": [-3, 3, -3, 3],
     "arrows": [[dx, dy], ...] per fake point, -dL_G/dx scaled so the longest is 1; "arrow_scale":
     that longest length, "d_loss", "g_loss", "d_real", "d_fake" (mean D on the last batch),
     "history": {"step", "d_loss", "g_loss", "d_real", "d_fake"},
     "coverage": {"near", "modes", "covered", "mean_radius", "radius_std"}}
frame() of "diffusion":
    {"kind", "step", "train_loss" (mean since the last history entry), "history": {"step", "train_loss"},
     "extent", "t", "noised": [[x, y], ...] (a draw of q(x_t | x_0) of the shown data), "real",
     "sampler", "trajectory": [point set, ...] (x_T ... x_0, at most 26 sets), "trajectory_steps":
     the t of each set, "trajectory_at": the training step it was sampled at (cached until
     trajectoryEvery more steps or a sampler setting changes), "samples": the last set,
     "coverage": as gan}
"""
from neuralab.playground.csv_upload import read_csv_upload
from neuralab.playground.errors import PlaygroundError
from neuralab.playground.base import Playground
from neuralab.playground.limits import LIMITS
from neuralab.playground.registry import KINDS, create, defaults
from neuralab.playground.tf_hash import parse_hash, parse_tf_hash, to_hash

__all__ = ["KINDS", "LIMITS", "Playground", "PlaygroundError", "create", "defaults", "parse_hash",
           "parse_tf_hash", "read_csv_upload", "to_hash"]
