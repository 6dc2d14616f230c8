"""The server-side limits of the playgrounds: what a page may ask for.

The web face shows no silent caps: a setting beyond one of these is refused with a
:class:`~neuralab.playground.errors.PlaygroundError` that names the limit.
"""

LIMITS = {
    "max_layers": 10,          # hidden layers of any network (TF Playground's UI: 6)
    # neurons per hidden layer (TF Playground's UI: 8); at 10 x 32 a frame (every neuron's
    # heatmap over the 100 x 100 grid) stays well under 50 ms on one core; at 10 x 64 it did not
    "max_neurons": 32,
    "max_points": 5000,        # data points of a set, drawn or uploaded
    "max_upload_bytes": 1_000_000,
    "max_classes": 10,
    "max_batch_size": 1000,
    "max_steps_per_call": 100_000,   # one step(n) call
    "max_diffusion_steps": 1000,     # noise schedule length
}
